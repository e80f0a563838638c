{{/* Chart name. */}}
{{- define "netids.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Prefix of every object name. */}}
{{- define "netids.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "netids.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object the chart creates. */}}
{{- define "netids.labels" -}}
helm.sh/chart: {{ include "netids.chart" . }}
app.kubernetes.io/name: {{ include "netids.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: netids
{{- end }}

{{/* Selector of the operator pods (stable: selectors are immutable). */}}
{{- define "netids.operatorSelector" -}}
app.kubernetes.io/name: {{ include "netids.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "netids.operatorName" -}}
{{- printf "%s-operator" (include "netids.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "netids.serviceAccountName" -}}
{{- default (include "netids.operatorName" .) .Values.serviceAccount.name }}
{{- end }}

{{/* ClusterRole the operator binds, per NetworkIDS namespace, to the detector's ServiceAccount. */}}
{{- define "netids.detectorRoleName" -}}
{{- printf "%s-detector" (include "netids.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* ClusterRole (pods list/watch) the operator binds cluster-wide to each detector, when wanted. */}}
{{- define "netids.podReaderRoleName" -}}
{{- printf "%s-pod-reader" (include "netids.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Whether detectors read pods in every namespace: asked for, and the operator is cluster-wide. */}}
{{- define "netids.podReaderWanted" -}}
{{- if and .Values.detector.podNamesAllNamespaces (not .Values.operator.watchNamespace) }}true{{ end }}
{{- end }}

{{/* repository:tag or repository@digest. */}}
{{- define "netids.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
Whether a monitoring object is wanted: "true"/"false", or "auto" = the cluster serves the
Prometheus Operator's monitoring.coreos.com/v1 API (for `helm template`, pass
--api-versions monitoring.coreos.com/v1). Usage: include "netids.monitoringEnabled" (list . .Values.monitoring.podMonitor.enabled)
*/}}
{{- define "netids.monitoringEnabled" -}}
{{- $root := index . 0 }}
{{- $v := index . 1 }}
{{- if kindIs "bool" $v }}
{{- if $v }}true{{ end }}
{{- else if and (eq (toString $v) "auto") ($root.Capabilities.APIVersions.Has "monitoring.coreos.com/v1") }}true
{{- end }}
{{- end }}
