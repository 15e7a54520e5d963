"""Grade a submission: one explicit, ordered list of small steps (``STEPS``), run by a loop.

Every step has one signature, ``step(run: Run) -> None``; a step about one notebook is lifted
with ``each(step)``, which applies it to every notebook that has no verdict yet (``Job.done``).

1. ``read``      — parse and validate with nbformat. A broken file is a *verdict*, not a crash
                   (the lab is still named, from ``--lab`` or the file name, so its tests show 0).
2. ``identify``  — which lab (``--lab`` overrides; a notebook of another lab is refused).
   ``drop_duplicates`` — two notebooks for one lab: the better-named one is graded, the other
                   gets a verdict saying so.
3. ``restore``   — locked and test cells from the instructor source, hidden tests injected,
                   student answer cells kept; deviations become notes.
4. ``prepare``   — a fresh private work directory holding only the restored notebook (no stale
                   ``answers/`` from the student: answers must come from executing the notebook),
                   the lab's public checks, and this run's hidden inputs as plain data, drawn here,
                   outside the sandbox, from the run's hidden seed (``labkit.hidden``).
5. ``execute``   — a real Jupyter kernel inside the bubblewrap sandbox, with time/output/disk
                   limits (``labkit/runner.py`` inside, ``grading/processes.py`` outside); only answer files its
                   test cells wrote survive it.
6. ``collect``   — copy only regular ``answers/*.npz|*.keras`` files, size-capped, whose SHA-256
                   the runner recorded right after their test cell, out of the work directory into
                   a grader-owned one. Nothing else leaves the sandbox.
7. ``rescore``   — one fresh Python process (sandboxed too, ``processes.run_rescore``) judges every
                   lab's collected answers.
8. ``report``    — attach cell problems (timeouts, kernel deaths, network refusals) to the tests
                   they affected; every lab ends with a ``LabResult``.

Ordering rules: ``drop_duplicates`` must follow ``identify`` (it groups by lab) and precede
``prepare`` (a dropped notebook is never executed); ``restore`` must follow ``identify`` (it needs
the lab's source) and precede ``execute`` (the student's copy of a test cell never runs);
``prepare`` draws the hidden inputs before ``execute`` and outside it; ``collect`` must follow
``execute`` and precede ``rescore`` (the re-scorer never sees the work directory, so a student
process still writing there changes nothing); ``rescore`` runs after *all* notebooks so
TensorFlow is imported once; a step that sets a verdict ends that notebook's steps, but
``report`` always runs (``each(…, always=True)``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import nbformat
from labkit import sandbox as sb
from labkit.mnist import DatasetError, find_mnist

from autograder.grading import notebooks, processes, user_isolation
from autograder.grading.warm import Warm, WarmSandbox
from autograder.grading.workdir import stage
from autograder.i18n import N_, lab_language, localize
from autograder.labs import get_lab
from autograder.options import Options
from autograder.results import LabResult, SubmissionResult, TestResult
from autograder.spec import LabSpec

_ANSWER_FILE = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?\.(npz|keras)$")


@dataclass
class Job:
    """The state of one notebook as it moves through the steps."""

    path: Path
    options: Options
    scratch: Path
    result: LabResult = None
    nb: nbformat.NotebookNode | None = None
    spec: LabSpec | None = None
    to_run: nbformat.NotebookNode | None = None
    workdir: Path | None = None
    run_report: dict = field(default_factory=dict)
    answers: Path | None = None
    done: bool = False
    warm: WarmSandbox | None = None  # the run's (or batch worker's) sandbox of forked kernels

    def verdict(self, message: str) -> None:
        self.result.errors.append(message)
        self.done = True


# ---------------------------------------------------------------- per-notebook steps
def step_read(job: Job) -> None:
    job.result.language = lab_language(job.options.language, None)[0]
    try:
        job.nb = notebooks.read_submission(job.path)
        # the notebook's edition (its metadata) is the language of its feedback, unless --language
        edition = (job.nb.metadata.get("autograder") or {}).get("language")
        job.result.language, note = lab_language(job.options.language, edition)
        if note:
            job.result.notes.append(note)
    except notebooks.SubmissionError as exc:
        job.verdict(str(exc))
        # still name the lab (--lab, else the file name) so the report lists its tests at 0 points
        lab_id = job.options.lab or notebooks.identify_lab(nbformat.v4.new_notebook(), job.path)
        try:
            job.spec = get_lab(lab_id) if lab_id else None
        except KeyError:
            return
        if job.spec is not None:
            job.result.lab = job.spec.lab_id


def step_identify(job: Job) -> None:
    found = notebooks.identify_lab(job.nb, job.path)
    wanted = job.options.lab
    try:
        if wanted:
            job.spec = get_lab(wanted)
            if found and found != job.spec.lab_id:
                job.verdict(
                    N_("wrong lab: Expected a notebook for {lab}. Received: {name}, which is {found}").format(
                        lab=job.spec.lab_id, name=job.path.name, found=found
                    )
                )
        else:
            job.spec = notebooks.lab_for(job.path, job.nb, None)
    except (notebooks.SubmissionError, KeyError) as exc:
        job.verdict(str(exc).strip('"'))
    if job.spec is not None:
        job.result.lab = job.spec.lab_id


def step_restore(job: Job) -> None:
    job.to_run, notes = notebooks.restore(job.nb, job.spec)
    job.result.notes.extend(notes)


def step_prepare(job: Job) -> None:
    job.workdir = job.scratch / f"work-{job.spec.lab_id}"
    job.workdir.mkdir(parents=True)
    nbformat.write(job.to_run, job.workdir / job.spec.notebook)
    stage(job.spec, job.workdir, job.options.hidden_seed)


def _mnist_path(options: Options) -> Path | None:
    if options.mnist is not None:
        return options.mnist
    try:
        return find_mnist(download=False)
    except DatasetError:
        return None


def step_execute(job: Job) -> None:
    opts, limits = job.options, job.options.limits
    if opts.sandbox and job.warm is not None:
        if job.warm.usable():
            started = time.monotonic()
            record, stopped, tail = job.warm.execute(job.spec.notebook, job.workdir)
            job.result.execution_time = round(time.monotonic() - started, 3)
            job.result.isolation = job.warm.describe()
            _take_record(job, record, stopped, tail)
            return
        job.result.notes.append(f"warm kernels are not available here ({job.warm.unavailable}): cold kernel")
    env: dict[str, str] = {}
    report_file = tempfile.TemporaryFile(dir=job.scratch)
    runner = [sys.executable, "-m", "labkit.runner", job.spec.notebook, ".executed.ipynb"]
    runner += ["--cell-seconds", str(limits.cell_seconds), "--output-bytes", str(limits.output_bytes)]
    runner += ["--artifact-bytes", str(limits.artifact_bytes), "--report-fd", str(report_file.fileno())]
    mnist = _mnist_path(opts)
    if opts.sandbox:
        uid = sb.sandbox_uid() if os.geteuid() == 0 else None
        sb.prepare_workdir(job.workdir, uid)
        argv = sb.build_command(
            [*runner, "--sweep"], job.workdir, mnist=mnist, uid=uid, env=env, tmp_bytes=limits.tmp_bytes
        )
        cwd, run_env = None, None
        job.result.isolation = f"bubblewrap sandbox: {sb.bwrap_source()}"
    elif opts.isolation == "user":
        session = user_isolation.Session(job.workdir, protect=opts.protect, mnist=mnist)
        try:
            argv, cwd, run_env = session.start(runner, env)
        except BaseException:
            session.close()
            raise
        job.result.isolation = session.describe()
        job.result.notes.append(
            N_(
                "graded without bubblewrap, as an unprivileged user: the network and other processes were reachable"
            )
        )
    else:
        argv, cwd = runner, job.workdir
        run_env = {**os.environ, **env, "MPLBACKEND": "Agg"}
        if mnist is not None:
            run_env["AUTOGRADER_MNIST"] = str(mnist)
        job.result.notes.append(N_("graded WITHOUT the sandbox (--no-sandbox): student code ran unisolated"))
        job.result.isolation = "none (--no-sandbox)"
    started = time.monotonic()
    log = tempfile.TemporaryFile(dir=job.scratch)  # not a pipe: a flood of stderr must not fill memory
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=run_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            pass_fds=(report_file.fileno(),),
            preexec_fn=sb.preexec_for(limits),
        )
        stopped = processes.watch(proc, limits, job.workdir)
    finally:
        if opts.isolation == "user":
            session.close()  # every process of the run's uid killed, then the modes restored
    job.result.execution_time = round(time.monotonic() - started, 3)
    report_file.seek(0)
    raw = report_file.read(4 << 20)
    try:
        record = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        record = {}
    log.seek(max(0, log.seek(0, os.SEEK_END) - 4096))
    _take_record(job, record, stopped, log.read().decode(errors="replace"))


def _take_record(job: Job, record: dict, stopped: str | None, stderr_tail: str) -> None:
    """The runner's per-cell record (and why the grader stopped it) into the lab's result."""
    job.run_report = record
    if stopped:
        job.result.errors.append(stopped)
    if not job.run_report and not stopped:
        tail = stderr_tail.strip().splitlines()[-3:]
        job.result.errors.append(
            N_("the notebook could not be executed: {reason}").format(
                reason=" | ".join(tail) or N_("no report")
            )
        )
    if job.run_report.get("fatal"):
        job.result.errors.append(
            N_("the notebook could not be executed: {reason}").format(reason=job.run_report["fatal"])
        )
    job.result.notes.extend(processes.answer_notes(job.run_report))


def step_collect(job: Job) -> None:
    limits = job.options.limits
    job.answers = job.scratch.parent / "collected" / job.spec.lab_id
    job.answers.mkdir(parents=True)
    source = job.workdir / "answers"
    if not source.is_dir() or source.is_symlink():
        return
    written = job.run_report.get("answers", {})  # name -> SHA-256 of what its test cell wrote
    for entry in sorted(os.scandir(source), key=lambda e: e.name):
        if entry.is_symlink():
            job.result.notes.append(N_("answers/{name} is a symbolic link: ignored").format(name=entry.name))
            continue
        if not entry.is_file(follow_symlinks=False) or not _ANSWER_FILE.match(entry.name):
            continue
        if entry.stat(follow_symlinks=False).st_size > limits.artifact_bytes:
            job.result.notes.append(
                N_("answers/{name} is larger than {mib} MiB: ignored").format(
                    name=entry.name, mib=limits.artifact_bytes >> 20
                )
            )
            continue
        data = Path(entry.path).read_bytes()
        if written.get(entry.name) != hashlib.sha256(data).hexdigest():
            note = N_("answers/{name} is not what its test cell wrote: ignored").format(name=entry.name)
            if note not in job.result.notes and not _noted_by_runner(job, entry.name):
                job.result.notes.append(note)
            continue
        (job.answers / entry.name).write_bytes(data)


def _noted_by_runner(job: Job, name: str) -> bool:
    report = job.run_report
    return name in report.get("answers_not_from_tests", []) + report.get("answers_changed_later", [])


# ---------------------------------------------------------------- submission steps
@dataclass
class Run:
    """One grading run: every notebook's ``Job``, the options, the private scratch directory."""

    jobs: list[Job]
    options: Options
    scratch: Path
    warm: Warm | None = None  # the fast path's servers (none: cold kernels, a fresh re-scorer)


def each(step: Callable[[Job], None], always: bool = False) -> Callable[[Run], None]:
    """Lift a per-notebook step: apply it to every job (with no verdict yet, unless ``always``)."""

    def run_each(run: Run) -> None:
        for job in run.jobs:
            if always or not job.done:
                step(job)

    run_each.__name__ = step.__name__
    return run_each


def drop_duplicates(run: Run) -> None:
    _drop_duplicates(run.jobs)


def step_rescore(run: Run) -> None:
    jobs, options, scratch = run.jobs, run.options, run.scratch
    ready = [j for j in jobs if not j.done and j.answers is not None]
    if not ready:
        return
    languages = {j.spec.lab_id: j.result.language for j in ready}  # each lab's feedback in its own

    def rescore(labs: list[str]) -> dict[str, dict]:
        rescorer = run.warm.rescorer if run.warm is not None else None
        if rescorer is not None and rescorer.usable():
            return rescorer.rescore(labs, scratch / "collected", options.hidden_seed, languages)
        return processes.run_rescore(labs, options, scratch, _mnist_path(options), languages)

    scored = rescore([j.spec.lab_id for j in ready])
    if len(scored) < len(ready) and len(ready) > 1:  # one bad file must not sink the others
        for job in ready:
            if job.spec.lab_id not in scored:
                scored.update(rescore([job.spec.lab_id]))
    for job in ready:
        data = scored.get(job.spec.lab_id)
        if data is None:
            job.result.errors.append(
                N_("re-scoring crashed on this lab's answer files (a malformed model file?)")
            )
            job.result.tests = [
                TestResult(q.grade_id, 0.0, q.points, "error", N_("not graded: re-scoring crashed"))
                for q in job.spec.questions
                if not (options.public_only and q.hidden)
            ]
        else:
            fresh = LabResult.from_dict({k: v for k, v in data.items() if k != "rescore_seconds"})
            job.result.tests, job.result.accuracy = fresh.tests, fresh.accuracy
            job.result.notes.extend(fresh.notes)  # e.g. a model flagged for training on the test set
            job.result.notes.append(
                N_("re-scored in a fresh process in {seconds:.1f} s").format(
                    seconds=data.get("rescore_seconds", 0)
                )
            )
            if options.public_only:
                job.result.tests = [t for t in job.result.tests if not t.hidden]


def step_report(job: Job) -> None:
    language = job.result.language
    if job.spec is not None and not job.result.tests:
        reason = job.result.errors[0] if job.result.errors else N_("not graded")
        job.result.tests = [
            TestResult(q.grade_id, 0.0, q.points, "error", reason)
            for q in job.spec.questions
            if not (job.options.public_only and q.hidden)
        ]
    messages = [
        (cell, localize(text, language))
        for cell, text in processes.cell_messages(job.run_report, job.options.limits)
    ]
    for _, text in messages:
        if text not in job.result.errors:
            job.result.errors.append(text)
    for test in job.result.tests:
        for cell_id, text in messages:
            if cell_id == test.name and test.status != "passed":
                test.output = f"{test.output} — {text}"
    dropped = job.run_report.get("output_dropped_bytes", 0)
    if dropped:
        job.result.notes.append(
            N_("{n:,} bytes of cell output over the limit were dropped").format(n=dropped)
        )
    # every message of this lab in its language (the steps above wrote English ``Text``)
    job.result.errors = [localize(e, language) for e in job.result.errors]
    job.result.notes = [localize(n, language) for n in job.result.notes]
    for test in job.result.tests:
        test.output = localize(test.output, language)
    job.result.total()


STEPS: list[Callable[[Run], None]] = [
    each(step_read),
    each(step_identify),
    drop_duplicates,
    each(step_restore),
    each(step_prepare),
    each(step_execute),
    each(step_collect),
    step_rescore,
    each(step_report, always=True),
]


# ---------------------------------------------------------------- entry points
def find_notebooks(path: Path) -> list[Path]:
    if path.is_file() or path.is_symlink() or not path.exists():
        return [path]
    found = [
        p
        for p in sorted(path.rglob("*.ipynb"))
        if ".ipynb_checkpoints" not in p.parts
        and not p.name.startswith(".")
        and len(p.relative_to(path).parts) <= 3
    ]
    return found


def grade_path(
    path: str | os.PathLike, options: Options | None = None, warm: Warm | None = None
) -> SubmissionResult:
    """Grade one notebook, or every lab notebook in a directory (one student's submission).

    ``warm``: the fast path's sandboxes (forked kernels, a warm re-scorer) to reuse — a batch
    worker keeps one for all its submissions; by default one is started for this submission
    and closed at its end (``--kernels cold``: none, the slow path)."""
    options = options or Options()
    if options.hidden_seed is None:
        options = replace(options, hidden_seed=new_hidden_seed())
    path = Path(path)
    submission = SubmissionResult(submission=str(path), hidden_seed=options.hidden_seed)
    language = lab_language(options.language, None)[0]  # before any notebook says its edition
    if options.sandbox and (problem := sb.probe()):  # ~0.1 s: a broken sandbox is the grader's failure
        text = N_("refusing to run untrusted code without a sandbox: {problem}").format(problem=problem)
        submission.errors.append(localize(text, language))
        return submission
    if options.isolation == "user" and (problem := user_isolation.problem()):
        text = N_("refusing to grade with --isolation user: {problem}").format(problem=problem)
        submission.errors.append(localize(text, language))
        return submission
    if not path.exists() and not path.is_symlink():
        text = N_("Expected a notebook or a directory. Received: {path} (no such file)").format(path=path)
        submission.errors.append(localize(text, language))
        return submission
    notebooks = find_notebooks(path)
    if not notebooks:
        submission.errors.append(
            localize(N_("no notebooks (*.ipynb) found in {path}").format(path=path), language)
        )
        return submission
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        scratch = Path(tmp)
        os.chmod(scratch, 0o711)
        jobs: list[Job] = []
        for index, nb_path in enumerate(notebooks):
            job = Job(
                nb_path,
                options,
                scratch / f"n{index}",
                LabResult(lab=options.lab or "unknown", submission=str(nb_path)),
            )
            job.scratch.mkdir()
            os.chmod(job.scratch, 0o711)
            jobs.append(job)
        fast = options.sandbox and options.kernels == "warm"
        own_warm = warm is None and fast
        if own_warm:
            warm = Warm(options.limits, _mnist_path(options))
        for job in jobs:
            job.warm = warm.kernels if fast else None
        run = Run(jobs, options, scratch, warm if fast else None)
        try:
            for step in STEPS:
                step(run)
        finally:
            if own_warm:
                warm.close()
        submission.labs.extend(job.result for job in jobs)
    submission.labs.sort(key=lambda r: r.lab)
    return submission


def new_hidden_seed() -> int:
    """A fresh hidden seed: nobody, the student included, can know the hidden inputs in advance."""
    return secrets.randbelow(2**31)


def _drop_duplicates(jobs: list[Job]) -> None:
    by_lab: dict[str, list[Job]] = {}
    for job in jobs:
        if job.spec is not None and not job.done:
            by_lab.setdefault(job.spec.lab_id, []).append(job)
    for lab_id, group in by_lab.items():
        if len(group) < 2:
            continue
        group.sort(key=lambda j: (j.path.name != f"{lab_id}.ipynb", str(j.path)))
        keep, rest = group[0], group[1:]
        names = ", ".join(j.path.name for j in rest)
        keep.result.notes.append(
            N_("{n} notebooks for {lab}: graded {kept}, ignored {names}").format(
                n=len(group), lab=lab_id, kept=keep.path.name, names=names
            )
        )
        for job in rest:
            job.done = True
            job.spec = None
            job.result.lab = f"{lab_id} (duplicate)"
            job.result.errors.append(
                N_("ignored: another notebook for {lab} ({kept}) was graded").format(
                    lab=lab_id, kept=keep.path.name
                )
            )
