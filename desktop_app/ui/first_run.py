"""The first screen for a new user: create a profile, or try the demo."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app import profiles
from desktop_app.ui import icons
from desktop_app.ui.widgets import label_widget, set_by_name, wrapped_label


class FirstRunPage(QWidget):
    create_profile = Signal()
    try_demo = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        logo = QLabel()
        logo.setPixmap(icons.app_icon().pixmap(96, 96))
        set_by_name(logo, "alignment", "AlignCenter")
        label_widget(logo, "OpDial logo", "OpDial")
        title = QLabel("Welcome to OpDial")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        set_by_name(title, "alignment", "AlignCenter")
        label_widget(title, "Welcome", "Welcome to OpDial")
        intro = wrapped_label(
            "OpDial places calls through your MyOperator account: the agent's phone rings first, then "
            "the customer's. To start, create a profile with the Company ID, Public IVR ID, x-api-key "
            "and secret token from the MyOperator panel — or try the demo first: it runs a local "
            "sandbox, so nobody is called.",
            name="Introduction",
            tooltip="What OpDial does and what you need",
        )
        set_by_name(intro, "alignment", "AlignCenter")
        self.create_button = QPushButton("Create a profile…")
        self.create_button.setIcon(icons.icon("profile"))
        self.create_button.setMinimumHeight(40)
        self.create_button.setDefault(True)
        label_widget(
            self.create_button,
            "Create a profile",
            "Enter your MyOperator details (secrets go to the keyring)",
        )
        self.demo_button = QPushButton("Try the demo (no real calls)")
        self.demo_button.setIcon(icons.icon("demo"))
        self.demo_button.setMinimumHeight(40)
        label_widget(
            self.demo_button, "Try the demo", "Start a local sandbox and a demo profile; nobody is called"
        )
        self.create_button.clicked.connect(self.create_profile)
        self.demo_button.clicked.connect(self.try_demo)
        env_note = wrapped_label(
            "Scripted set-ups: set "
            f"{profiles.ENV_API_KEY}, {profiles.ENV_SECRET_TOKEN}, {profiles.ENV_COMPANY_ID}, "
            f"{profiles.ENV_PUBLIC_IVR_ID} and {profiles.ENV_USER_ID} in the environment and OpDial "
            "starts ready to dial, without a profile.",
            name="Environment note",
            tooltip="Using OpDial with credentials from environment variables",
        )
        set_by_name(env_note, "alignment", "AlignCenter")
        self.env_note = env_note

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.create_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(logo)
        column.addWidget(title)
        column.addSpacing(8)
        column.addWidget(intro)
        column.addSpacing(16)
        column.addLayout(buttons)
        column.addSpacing(24)
        column.addWidget(env_note)
        column.addStretch(2)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(column, 4)
        outer.addStretch(1)
        self.setAccessibleName("First run")
        self.setToolTip("Set up OpDial")

    def apply_theme(self, muted: str) -> None:
        self.env_note.setStyleSheet(f"color: {muted};")
        self.create_button.setIcon(icons.icon("profile"))
        self.demo_button.setIcon(icons.icon("demo"))
