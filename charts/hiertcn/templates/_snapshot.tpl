{{/*
The containers of the daily snapshot CronJob (snapshot-cronjob.yaml). Each takes (dict "ctx" $ "version" BUNDLE),
the rclone one also "step": "fetch" (the bundle and the day's feature file into the emptyDir) or "upload" (the new
.snap file, then CURRENT: an object is replaced whole, and the pods' sync copies CURRENT last).
*/}}
{{- define "hiertcn.snapshotBuild" -}}
{{- $dir := .ctx.Values.artifacts.mountPath -}}
image: {{ printf "%s:%s" .ctx.Values.snapshotJob.image.repository .ctx.Values.snapshotJob.image.tag | quote }}
imagePullPolicy: {{ .ctx.Values.snapshotJob.image.pullPolicy }}
securityContext:
  {{- toYaml .ctx.Values.securityContext | nindent 2 }}
args:
  - snapshot
  - build
  - --bundle
  - {{ printf "%s/%s/%s" $dir .ctx.Values.artifacts.bundlesPath .version | quote }}
  - --features
  - {{ printf "%s/%s" $dir .ctx.Values.snapshotJob.featuresPath | quote }}
  - --out
  - {{ printf "%s/%s" $dir .ctx.Values.artifacts.snapshotsPath | quote }}
env:
  - name: DOTNET_gcServer
    value: "0"
resources:
  {{- toYaml .ctx.Values.snapshotJob.resources | nindent 2 }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  - name: artifacts
    mountPath: {{ $dir }}
    {{- if and (eq .ctx.Values.artifacts.mode "volume") .ctx.Values.artifacts.volume.subPath }}
    subPath: {{ .ctx.Values.artifacts.volume.subPath }}
    {{- end }}
{{- end -}}

{{- define "hiertcn.snapshotRclone" -}}
{{- $remote := trimSuffix "/" .ctx.Values.artifacts.sync.remote -}}
{{- $dir := .ctx.Values.artifacts.mountPath -}}
image: {{ printf "%s:%s" .ctx.Values.artifacts.sync.image.repository .ctx.Values.artifacts.sync.image.tag | quote }}
imagePullPolicy: {{ .ctx.Values.artifacts.sync.image.pullPolicy }}
securityContext:
  {{- toYaml .ctx.Values.securityContext | nindent 2 }}
command: ["/bin/sh", "-c"]
args:
  - |
    set -eu
    {{- if eq .step "fetch" }}
    rclone copy "{{ $remote }}/{{ .ctx.Values.artifacts.bundlesPath }}/{{ .version }}" "{{ $dir }}/{{ .ctx.Values.artifacts.bundlesPath }}/{{ .version }}"
    rclone copyto "{{ $remote }}/{{ .ctx.Values.snapshotJob.featuresPath }}" "{{ $dir }}/{{ .ctx.Values.snapshotJob.featuresPath }}"
    {{- else }}
    snaps_src="{{ $dir }}/{{ .ctx.Values.artifacts.snapshotsPath }}"; snaps_dst="{{ $remote }}/{{ .ctx.Values.artifacts.snapshotsPath }}"
    rclone copy "$snaps_src" "$snaps_dst" --include "*.snap" --immutable
    rclone copyto "$snaps_src/CURRENT" "$snaps_dst/CURRENT"
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
    mountPath: {{ $dir }}
{{- end -}}
