"""The course's JupyterLab settings for students (see README.md next to this file).

Read when this folder is on JUPYTER_CONFIG_PATH: `JUPYTER_CONFIG_PATH=jupyter .venv/bin/jupyter lab`.
Your own ~/.jupyter config, settings and workspaces still apply; this folder only adds to them.
Next to this file: jupyter_server_config.json (nbgrader's instructor-only server extensions off)
and labconfig/page_config.json (nbgrader's instructor-only JupyterLab plugins off).
"""

from pathlib import Path

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

# Defaults for JupyterLab settings, lab/settings/overrides.json: no "Would you like to get
# notified about official Jupyter news?" popup and no update check (students may still turn
# them on under Settings). JupyterLab reads overrides.json only from this one folder.
c.LabApp.app_settings_dir = str(Path(__file__).resolve().parent / "lab" / "settings")
