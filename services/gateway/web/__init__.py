"""Server-rendered French pages (jinja2), usable without JavaScript."""
