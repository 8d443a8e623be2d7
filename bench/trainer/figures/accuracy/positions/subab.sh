#!/bin/bash
# subab.sh NAME args...: the subset screen (first 5,000 training users, 5 epochs, seed 42, one thread), cli-AB (e7e3478)
n=$1; shift
/work/runs/cli-AB/hiertcn train --data /work/runs/globo --out $n --epochs 5 --patience 5 --max-train-users 5000 --threads 1 --seed 42 "$@" > $n.log 2>&1
