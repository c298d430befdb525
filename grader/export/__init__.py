"""Exports to the platforms courses already live on, one module per target.

* ``pool``: the shared "pool of variants" every question export reads (params, rendered
  statements, parts with reference values and how each answer type writes itself abroad);
* ``gradescope``: an autograder bundle that runs our engine inside Gradescope;
* ``classroom``: the per-key runner results GitHub Classroom's grading reporter sums;
* ``moodle`` (Moodle XML, Cloze) and ``qti`` (IMS QTI 2.1 content package): question banks;
* ``gradebooks``: CSV gradebooks an LMS imports (Moodle, Canvas);
* ``identity``: the roster's identity columns (email, sid, github, SIS id) beyond student_id.

A new target is one module here plus its command in ``commands.cmd_export``.
"""
