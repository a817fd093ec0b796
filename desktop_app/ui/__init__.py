"""Qt front end. Importing it first guards against the PySide6 6.12 None-refcount crash (see
``desktop_app.qt_refcount_fix``)."""

from desktop_app.qt_refcount_fix import keep_none_alive

keep_none_alive()
