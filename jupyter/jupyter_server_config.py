"""The course's JupyterLab settings for students (see README.md next to this file).

Loaded when this folder is on JUPYTER_CONFIG_PATH, e.g. `JUPYTER_CONFIG_PATH=jupyter jupyter lab`.
Your own ~/.jupyter settings, workspaces and config still apply; this folder only adds to them.
"""

from pathlib import Path

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

HERE = Path(__file__).resolve().parent

# Default values for JupyterLab settings (lab/settings/overrides.json): no "Would you like to get
# notified about official Jupyter news?" popup, no update check. Students may still change them.
c.LabApp.app_settings_dir = str(HERE / "lab" / "settings")

# nbgrader's instructor-only server parts; the students' Validate button and Assignment List stay.
# (The matching front-end plugins are disabled in labconfig/page_config.json.)
c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.validate_assignment": True,
    "nbgrader.server_extensions.assignment_list": True,
}
