-- A running job's checkpoint: what it has done so far, saved by its handler, so an attempt that a
-- restart or an expired lease interrupted resumes there instead of starting over. '' = none.

ALTER TABLE jobs ADD COLUMN checkpoint_json TEXT NOT NULL DEFAULT '';
