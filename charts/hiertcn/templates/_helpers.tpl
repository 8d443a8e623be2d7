{{/* Names, labels and the settings both workloads share. */}}

{{- define "hiertcn.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource prefix, at most 40 characters so that "-state-NNN" and the PVC prefix stay within DNS limits. */}}
{{- define "hiertcn.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "hiertcn.inferenceName" -}}{{ include "hiertcn.fullname" . }}-inference{{- end -}}
{{- define "hiertcn.stateName" -}}{{ include "hiertcn.fullname" . }}-state{{- end -}}

{{- define "hiertcn.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "hiertcn.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: include "hiertcn.selectorLabels" (dict "ctx" $ "component" "inference"). */}}
{{- define "hiertcn.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hiertcn.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "hiertcn.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "hiertcn.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Shard i is pod <state>-i behind the headless Service <state>; the order is the jump-hash order. */}}
{{- define "hiertcn.shardAddresses" -}}
{{- $state := include "hiertcn.stateName" . -}}
{{- $scheme := ternary "https" "http" .Values.tls.enabled -}}
{{- range $i := until (int .Values.stateStore.shards) }}
{{ printf "%s://%s-%d.%s.%s.svc.cluster.local:%d" $scheme $state $i $state $.Release.Namespace (int $.Values.stateStore.grpcPort) }}
{{- end -}}
{{- end -}}

{{/* The RESP cluster of stateStore.engine garnet or redis: StatefulSet and headless Service <fullname>-<engine>. */}}
{{- define "hiertcn.respName" -}}{{ include "hiertcn.fullname" . }}-{{ .Values.stateStore.engine }}{{- end -}}

{{/* Nodes of the RESP cluster: every primary and its replicas, one StatefulSet ordinal each. */}}
{{- define "hiertcn.respNodes" -}}
{{- mul (int .Values.stateStore.resp.primaries) (add1 (int .Values.stateStore.resp.replicasPerPrimary)) -}}
{{- end -}}

{{/* Stable DNS name of RESP node i: include "hiertcn.respHost" (dict "ctx" $ "i" 0). */}}
{{- define "hiertcn.respHost" -}}
{{- $name := include "hiertcn.respName" .ctx -}}
{{- printf "%s-%d.%s.%s.svc.cluster.local" $name (int .i) $name .ctx.Release.Namespace -}}
{{- end -}}

{{/* Seconds as a .NET TimeSpan literal (d.hh:mm:ss); a bare number would be read as days. */}}
{{/* Where the inference pods read the A/B experiment (the -experiment ConfigMap's key, mounted). */}}
{{- define "hiertcn.experimentFile" -}}
/etc/hiertcn/experiment/experiment.json
{{- end -}}

{{- define "hiertcn.timespan" -}}
{{- $s := int . -}}
{{- printf "%d.%02d:%02d:%02d" (div $s 86400) (mod (div $s 3600) 24) (mod (div $s 60) 60) (mod $s 60) -}}
{{- end -}}

{{- define "hiertcn.checks" -}}
{{- if and .Values.tls.enabled (or (not .Values.tls.inferenceSecret) (not .Values.tls.stateStoreSecret)) -}}
{{- fail "tls.enabled needs tls.inferenceSecret and tls.stateStoreSecret (kubernetes.io/tls Secrets with tls.crt, tls.key, ca.crt)" -}}
{{- end -}}
{{- if and .Values.tls.mutual (or (not .Values.tls.enabled) (not .Values.tls.inferenceClientSecret)) -}}
{{- fail "tls.mutual needs tls.enabled and tls.inferenceClientSecret (the client certificate inference presents to the shards)" -}}
{{- end -}}
{{- $certs := .Values.auth.clientCertificates -}}
{{- if and .Values.auth.enabled (not .Values.auth.tokensSecret) (not $certs.read) (not $certs.write) -}}
{{- fail "auth.enabled needs auth.tokensSecret (a Secret with keys read and write, one token a line) or client certificate names (auth.clientCertificates.read, auth.clientCertificates.write)" -}}
{{- end -}}
{{- if and (or $certs.read $certs.write) (not $certs.caSecret) -}}
{{- fail "auth.clientCertificates.read and .write need auth.clientCertificates.caSecret (the authority that signs the callers' certificates)" -}}
{{- end -}}
{{- if and $certs.caSecret (or (not .Values.tls.enabled) (not .Values.auth.enabled)) -}}
{{- fail "auth.clientCertificates.caSecret needs tls.enabled (client certificates travel over TLS) and auth.enabled (the names grant roles only then)" -}}
{{- end -}}
{{- if and (eq .Values.artifacts.mode "volume") (not .Values.artifacts.volume.existingClaim) -}}
{{- fail "artifacts.volume.existingClaim is empty: name the PersistentVolumeClaim that holds bundles/ and snapshots/, or set artifacts.mode=sync" -}}
{{- end -}}
{{- if and (eq .Values.artifacts.mode "sync") (not .Values.artifacts.sync.remote) -}}
{{- fail "artifacts.sync.remote is empty: give the rclone remote path that holds bundles/ and snapshots/ (for example s3:my-bucket/hiertcn)" -}}
{{- end -}}
{{- $resp := .Values.stateStore.resp -}}
{{- if and (eq .Values.stateStore.engine "garnet") .Values.tls.enabled -}}
{{- fail "stateStore.engine=garnet with tls.enabled: this chart does not run Garnet over TLS (untested here); use stateStore.engine=redis or turn TLS off" -}}
{{- end -}}
{{- if and (eq .Values.stateStore.engine "garnet") $resp.passwordSecret -}}
{{- fail "stateStore.resp.passwordSecret with stateStore.engine=garnet: this chart does not run Garnet with AUTH (untested here); use stateStore.engine=redis or leave it empty" -}}
{{- end -}}
{{- if and (eq .Values.stateStore.engine "garnet") (gt (int $resp.waitForReplicas) 0) -}}
{{- fail (printf "stateStore.resp.waitForReplicas (%d) with stateStore.engine=garnet: Garnet 2.2.12 has no WAIT (it answers \"ERR unknown command\"), so every write would answer Unavailable; set it to 0 (a write the lost primary had not yet shipped to its replica is then lost at failover) or use stateStore.engine=redis" (int $resp.waitForReplicas)) -}}
{{- end -}}
{{- if gt (int $resp.waitForReplicas) (int $resp.replicasPerPrimary) -}}
{{- fail (printf "stateStore.resp.waitForReplicas (%d) is above stateStore.resp.replicasPerPrimary (%d): every write would wait for replicas that do not exist" (int $resp.waitForReplicas) (int $resp.replicasPerPrimary)) -}}
{{- end -}}
{{- if gt (int .Values.inference.autoscaling.minReplicas) (int .Values.inference.autoscaling.maxReplicas) -}}
{{- fail "inference.autoscaling.minReplicas is larger than inference.autoscaling.maxReplicas" -}}
{{- end -}}
{{- $total := 0.0 -}}
{{- range .Values.models.versions -}}{{- $total = addf $total .weight -}}{{- end -}}
{{- if le $total 0.0 -}}
{{- fail "models.versions: every weight is 0; at least one version needs users" -}}
{{- end -}}
{{- end -}}

{{/* The gRPC probes of a server: its gRPC port, or the cleartext health-only port when TLS is on. */}}
{{- define "hiertcn.probePort" -}}
{{- if .ctx.Values.tls.enabled -}}{{ .ctx.Values.tls.healthPort }}{{- else -}}{{ .port }}{{- end -}}
{{- end -}}
