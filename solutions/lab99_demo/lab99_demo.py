# %% [markdown]
# # Demo

# %% tags=["locked"] grade_id="setup"
from autograder.labkit import Lab
lab = Lab("lab99_demo")

# %% tags=["solution"] grade_id="double_answer"
def double(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION

# %% tags=["tests"] grade_id="test_double"
lab.check("double", lambda: double(2))

# %% [markdown] tags=["manual"] grade_id="why"
# Why?
#
# === BEGIN MARK SCHEME ===
# because
# === END MARK SCHEME ===
