"""Rendering: sheets (Markdown, HTML, LaTeX), blank answer files and the private key."""
