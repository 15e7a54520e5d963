"""The course's JupyterLab settings for instructors: `JUPYTER_CONFIG_PATH=jupyter/instructor`.

The same defaults as the students' (../lab/settings/overrides.json: no Jupyter news popup, no
update check), with all of nbgrader's UI: Create Assignment, Formgrader, Course List.
"""

from pathlib import Path

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

c.LabApp.app_settings_dir = str(Path(__file__).resolve().parent.parent / "lab" / "settings")
