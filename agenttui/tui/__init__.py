"""The Textual UI: thin screens and widgets over agenttui.core (see docs/ARCHITECTURE.md)."""
