"""The widgets that own their workers: the pane grid, the guard panel; the agent pane; the footer."""
