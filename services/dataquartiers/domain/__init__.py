"""The dataquartiers model and its rules: plain Python, no I/O. Empty until its issue."""
