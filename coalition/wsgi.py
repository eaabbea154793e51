"""The application object gunicorn serves: `gunicorn coalition.wsgi:app`."""

from coalition import create_app

app = create_app()
