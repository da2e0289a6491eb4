"""agenttui: a terminal supervisor for AI coding agents working in parallel on one repository."""

__version__ = "0.1.0"
