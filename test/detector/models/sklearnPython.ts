import { spawnSync } from 'node:child_process';

/** The python that runs scikit-learn for the agreement tests: PYTHON if set, else python3. */
export const python = process.env.PYTHON ?? 'python3';
const probe = spawnSync(python, ['-c', 'import sklearn, numpy; print(sklearn.__version__)'], { encoding: 'utf8' });
/** scikit-learn's version, or null when that python cannot import it (the tests then skip, saying why). */
export const sklearnVersion = probe.status === 0 ? probe.stdout.trim() : null;
export const sklearnWhy = sklearnVersion
  ? `scikit-learn ${sklearnVersion}`
  : `SKIPPED: scikit-learn is not importable by "${python}" (install python3-sklearn or set PYTHON)`;
