"""The app's screens: the supervisor (main), recovery, and the modals."""
