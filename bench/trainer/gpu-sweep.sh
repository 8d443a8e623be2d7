#!/bin/bash
# Issue 10 sweep on the lent GPU machine: full Globo split, many trainings at once, stopped at a deadline.
T0=$(date +%s); DEADLINE=${DEADLINE:-470}
el() { echo $(( $(date +%s) - T0 )); }
mkdir -p /tmp/app /tmp/r && tar -C /tmp/app -xJf .gpu/pub.tar.xz && tar -C /tmp -xJf .gpu/globo.tar.xz || exit 3
export LD_LIBRARY_PATH=/opt/torch/.venv/lib/python3.12/site-packages/torch/lib:/usr/local/cuda-13.0/targets/x86_64-linux/lib
export DOTNET_gcServer=0 DOTNET_TieredPGO=1 OMP_NUM_THREADS=1 HIERTCN_OMP_WAIT=passive
H=/tmp/app/hiertcn; D=/tmp/globo
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; lscpu | grep -E "Model name|^CPU\(s\)"
nvidia-cuda-mps-control -d 2>&1 && echo "MPS started" || echo "no MPS"
echo "[$(el)s] smoke"
timeout 120 $H train --data $D --model hiertcn --out /tmp/r/smoke --epochs 1 --max-train-users 300 --device cuda --threads 1 --no-final-eval > /tmp/r/smoke.log 2>&1
rc=$?; tail -5 /tmp/r/smoke.log; DEV=cuda; [ $rc -ne 0 ] && { echo "CUDA smoke failed rc=$rc; CPU fallback"; DEV=cpu; }
echo "[$(el)s] sweep on $DEV"
run() { name=$1; shift; timeout $((DEADLINE - $(el))) $H train --data $D --out /tmp/r/$name --epochs 10 --patience 3 --device $DEV --threads 1 "$@" > /tmp/r/$name.log 2>&1; echo "[$(el)s] $name exit $?" >> /tmp/r/done.txt; }
for s in 42 1 7; do
  run hgru-s$s --model hiergru --seed $s &
  run htcn-s$s --model hiertcn --seed $s &
  run htcn-c256d2-s$s --model hiertcn --tcn-channels 256 --dropout 0.2 --seed $s &
  run hgru-h256d2-s$s --model hiergru --low-hidden 256 --dropout 0.2 --seed $s &
done
run hrnn-s7 --model hrnn --seed 7 &
run htcn-d2-s42 --model hiertcn --dropout 0.2 --seed 42 &
sleep 60; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader; uptime
wait
echo "[$(el)s] training stopped"; cat /tmp/r/done.txt
for r in /tmp/r/*/; do n=$(basename $r); [ "$n" = smoke ] && continue
  if [ ! -f $r/report.test.json ] && [ -f $r/model.bin ]; then
    ( timeout 100 $H eval --run $r --data $D --split test --report $r/report.test.json --device $DEV > /tmp/r/$n.eval.log 2>&1 ) &
  fi
done; wait
echo "[$(el)s] evals done"
python3 - <<'PY'
import json,glob,os
for r in sorted(glob.glob('/tmp/r/*/')):
    n=os.path.basename(r.rstrip('/'))
    if n=='smoke': continue
    try: ep=json.load(open(r+'epochs.json'))
    except Exception: ep=[]
    curve=' '.join(f"{e['validation_recall@10']:.4f}" for e in ep)
    best=max(ep,key=lambda e:e['validation_recall@10']) if ep else None
    t=''
    try:
        m=json.load(open(r+'report.test.json'))['metrics']
        t=f"test {m['event']['recall@10']:.4f}/{m['event']['mrr']:.4f}/{m['new_session']['recall@10']:.4f}"
    except Exception: t='no test'
    s=f"ep{best['epoch']} {best['validation_recall@10']:.4f}/{best['validation_mrr']:.4f} {ep[-1]['train_seconds']:.0f}s/ep" if best else 'no epoch'
    print(f"{n:18s} {s} {t} | {curve}")
PY
tar -C /tmp/r --exclude=checkpoint --exclude='*.bin' --exclude='*.csv' -czf $OUT/runs.tgz . ; ls -la $OUT
