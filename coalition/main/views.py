"""The home page, and the health check a load balancer (or a benchmark) asks."""

from flask import Blueprint, Response, render_template

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    return render_template("main/home.html")


@bp.route("/healthz")
def health():
    """Answers without touching the database: is this process serving requests at all."""
    return Response("ok\n", mimetype="text/plain")
