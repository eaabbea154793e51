"""The `coalition` console script: the Flask CLI of the app."""

from flask.cli import FlaskGroup

from coalition import create_app


def main() -> None:
    FlaskGroup(create_app=create_app, help="Coalition's command line.").main()
