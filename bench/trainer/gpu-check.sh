#!/bin/bash
# CUDA checks of the trainer on the lent GPU: --resume on CUDA (KeyNotFoundException before the fix) and eval on CUDA
# against eval on the CPU of the same run.
T0=$(date +%s); el() { echo $(( $(date +%s) - T0 )); }
mkdir -p /tmp/app /tmp/r && tar -C /tmp/app -xJf .gpu/pub.tar.xz && tar -C /tmp -xJf .gpu/globo.tar.xz || exit 3
export LD_LIBRARY_PATH=/opt/torch/.venv/lib/python3.12/site-packages/torch/lib:/usr/local/cuda-13.0/targets/x86_64-linux/lib
export DOTNET_gcServer=0 OMP_NUM_THREADS=4
H=/tmp/app/hiertcn; D=/tmp/globo
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in hiertcn hiergru; do
  $H train --data $D --model $m --out /tmp/r/$m --epochs 1 --max-train-users 400 --device cuda --threads 4 --no-final-eval 2>&1 | grep -E "^epoch 1: lr|rror|xception" | cut -c1-200
  echo "[$(el)s] resume $m to epoch 2:"
  $H train --data $D --model $m --out /tmp/r/$m --resume --epochs 2 --max-train-users 400 --device cuda --threads 4 --no-final-eval 2>&1 | grep -E "^epoch 2: lr|resum|rror|xception" | cut -c1-300
  for dev in cuda cpu; do $H eval --run /tmp/r/$m --data $D --split test --report /tmp/r/$m.$dev.json --device $dev > /dev/null 2>&1 || echo "eval $dev failed"; done
  python3 -c "
import json; a=json.load(open('/tmp/r/$m.cuda.json'))['metrics']['event']; b=json.load(open('/tmp/r/$m.cpu.json'))['metrics']['event']
print('$m eval cuda vs cpu:', {k:(round(a[k],6),round(b[k],6)) for k in ('recall@10','mrr','n')}, 'max diff', max(abs(a[k]-b[k]) for k in ('recall@1','recall@5','recall@10','recall@20','mrr')))"
  echo "[$(el)s]"
done
