{{/* Names and labels shared by every template. */}}
{{- define "xueji.fullname" -}}
{{- default .Release.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "xueji.name" -}}
{{- printf "%s-%s" (include "xueji.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "xueji.labels" -}}
app.kubernetes.io/name: xueji
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "xueji.selector" -}}
app.kubernetes.io/name: xueji
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "xueji.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Environment every service reads: the platform's endpoints and credentials (from existing Secrets). */}}
{{- define "xueji.commonEnv" -}}
- name: XUEJI_ENVIRONMENT
  value: {{ .Values.environment | quote }}
- name: XUEJI_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: XUEJI_HTTP_HOST
  value: "0.0.0.0"
- name: XUEJI_HTTP_PORT
  value: "8000"
- name: XUEJI_INSTANCE_ID
  valueFrom: {fieldRef: {fieldPath: metadata.name}}
- name: XUEJI_KAFKA_BOOTSTRAP
  value: {{ .Values.kafka.bootstrap | quote }}
- name: XUEJI_KAFKA_SECURITY_PROTOCOL
  value: {{ .Values.kafka.securityProtocol | quote }}
- name: XUEJI_KAFKA_SASL_MECHANISM
  value: {{ .Values.kafka.saslMechanism | quote }}
{{- if .Values.kafka.existingSecret }}
- name: XUEJI_KAFKA_SASL_USERNAME
  valueFrom: {secretKeyRef: {name: {{ .Values.kafka.existingSecret | quote }}, key: {{ .Values.kafka.usernameKey | quote }}}}
- name: XUEJI_KAFKA_SASL_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ .Values.kafka.existingSecret | quote }}, key: {{ .Values.kafka.passwordKey | quote }}}}
{{- end }}
{{- if .Values.kafka.caConfigMap }}
- name: XUEJI_KAFKA_CA_FILE
  value: /etc/xueji/kafka-ca/ca.crt
{{- end }}
- name: XUEJI_MONGO_URI
  valueFrom: {secretKeyRef: {name: {{ .Values.mongodb.existingSecret | quote }}, key: {{ .Values.mongodb.uriKey | quote }}}}
- name: XUEJI_MEMBER_REF_KEY
  valueFrom: {secretKeyRef: {name: {{ .Values.memberRefKeySecret.name | quote }}, key: {{ .Values.memberRefKeySecret.key | quote }}}}
- name: XUEJI_MONGO_DATABASE
  value: {{ .Values.mongodb.database | quote }}
- name: XUEJI_JWT_PUBLIC_KEY_FILES
  value: {{ printf "[%s]" (include "xueji.jwtFiles" .) | quote }}
{{- end -}}

{{- define "xueji.jwtFiles" -}}
{{- $files := list -}}
{{- range .Values.jwt.keys -}}{{- $files = append $files (printf "\"/etc/xueji/jwt/%s\"" .) -}}{{- end -}}
{{- join "," $files -}}
{{- end -}}


{{/* The standard OpenTelemetry variables of one workload, only when a collector is configured: the SDK
     reads them itself. (dict "root" $ "name" <workload> "service" <service, default: name>) */}}
{{- define "xueji.telemetryEnv" -}}
{{- $t := .root.Values.telemetry -}}
{{- if $t.otlpEndpoint -}}
{{- $attributes := list (printf "k8s.namespace.name=%s" .root.Release.Namespace)
      (printf "k8s.deployment.name=%s" (include "xueji.name" .)) "k8s.pod.name=$(XUEJI_INSTANCE_ID)" -}}
{{- range $key, $value := $t.resourceAttributes }}{{ $attributes = append $attributes (printf "%s=%s" $key $value) }}{{ end -}}
- name: OTEL_TRACES_EXPORTER
  value: otlp
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $t.otlpEndpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ $t.protocol | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ printf "%s-%s" $t.serviceNamePrefix (default .name .service) | quote }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," $attributes | quote }}
{{- end -}}
{{- end -}}
