{{/*
The artifacts sync container (artifacts.mode=sync): rclone copies bundles and snapshots from object storage into the
pod's emptyDir. A snapshot file is complete before CURRENT names it (rclone writes to a temporary name and renames;
CURRENT is copied last, to a temporary name, and renamed), so the service, which follows CURRENT, never maps half a
file; snapshots no longer in the bucket are removed only after CURRENT has moved on.
*/}}
{{- define "hiertcn.syncContainer" -}}
{{- $remote := trimSuffix "/" .ctx.Values.artifacts.sync.remote -}}
{{- $dst := .ctx.Values.artifacts.mountPath -}}
image: {{ printf "%s:%s" .ctx.Values.artifacts.sync.image.repository .ctx.Values.artifacts.sync.image.tag | quote }}
imagePullPolicy: {{ .ctx.Values.artifacts.sync.image.pullPolicy }}
securityContext:
  {{- toYaml .ctx.Values.securityContext | nindent 2 }}
command: ["/bin/sh", "-c"]
args:
  - |
    set -eu
    bundles_src="{{ $remote }}/{{ .ctx.Values.artifacts.bundlesPath }}"; bundles_dst="{{ $dst }}/{{ .ctx.Values.artifacts.bundlesPath }}"
    snaps_src="{{ $remote }}/{{ .ctx.Values.artifacts.snapshotsPath }}"; snaps_dst="{{ $dst }}/{{ .ctx.Values.artifacts.snapshotsPath }}"
    sync_once() {
      rclone sync "$bundles_src" "$bundles_dst" --exclude ".*/**" --exclude ".*"
      rclone copy "$snaps_src" "$snaps_dst" --include "*.snap" --immutable
      rclone copyto "$snaps_src/CURRENT" "$snaps_dst/.CURRENT.tmp"
      mv -f "$snaps_dst/.CURRENT.tmp" "$snaps_dst/CURRENT"
      rclone sync "$snaps_src" "$snaps_dst" --include "*.snap"
    }
    {{- if .once }}
    sync_once
    {{- else }}
    while true; do
      sleep {{ .ctx.Values.artifacts.sync.intervalSeconds }}
      sync_once || echo "artifacts sync failed; retrying in {{ .ctx.Values.artifacts.sync.intervalSeconds }} s" >&2
    done
    {{- end }}
env:
  - name: HOME
    value: /tmp
  - name: RCLONE_CONFIG
    value: /tmp/rclone.conf
  - name: RCLONE_CACHE_DIR
    value: /tmp/rclone-cache
{{- with .ctx.Values.artifacts.sync.configSecret }}
envFrom:
  - secretRef:
      name: {{ . }}
{{- end }}
resources:
  {{- toYaml .ctx.Values.artifacts.sync.resources | nindent 2 }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  - name: artifacts
    mountPath: {{ $dst }}
{{- end -}}
