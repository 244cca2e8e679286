#!/bin/bash
# PrairieLearn's entrypoint in the grading container: the student's main.cc is in
# /grade/student, the image holds the built student edition in /forklab. The results go to
# /grade/results/results.json; the container must exit 0 for PrairieLearn to read them.
mkdir -p /grade/results
cp /grade/student/main.cc /forklab/labs/fork_sum/main.cc
NO_COLOR=1 /forklab/build/grader/forklab grade --lab fork_sum \
  --format prairielearn --output /grade/results/results.json
[ -s /grade/results/results.json ] ||
  echo '{"gradable": false, "score": 0, "message": "The grader could not run: tell your instructor."}' \
    >/grade/results/results.json
exit 0
