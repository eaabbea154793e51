"""Extensions, created unbound here and bound to an app in create_app()."""

from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from coalition.db import Base

# Objects stay readable after a commit without another query (and, on SQLite, without
# opening another transaction that would hold the write lock).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
login_manager = LoginManager()
csrf = CSRFProtect()
