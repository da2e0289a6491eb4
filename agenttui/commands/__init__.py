"""The command line's commands, by job (parsing and dispatch are in ``agenttui.cli``)."""
