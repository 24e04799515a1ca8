{{/*
One service's workload. Called from each service's folder with
(dict "root" $ "name" "<service>" "spec" <its values> "command" "<console script>" "env" <extra env list> "config" <ConfigMap data>).
*/}}
{{- define "xueji.deployment" -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "xueji.name" . }}
  labels: {{- include "xueji.labels" . | nindent 4 }}
spec:
  {{- if not .spec.autoscaling.enabled }}
  replicas: {{ .spec.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy: {type: {{ .root.Values.updateStrategy }}}
  selector:
    matchLabels: {{- include "xueji.selector" . | nindent 6 }}
  template:
    metadata:
      labels: {{- include "xueji.selector" . | nindent 8 }}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ .root.Values.managementPort | quote }}
        prometheus.io/path: /metrics
        checksum/config: {{ toJson .config | sha256sum }}
    spec:
      serviceAccountName: {{ include "xueji.name" . }}
      automountServiceAccountToken: false
      {{- with .root.Values.image.pullSecrets }}
      imagePullSecrets: {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        fsGroup: 10001
        seccompProfile: {type: RuntimeDefault}
      terminationGracePeriodSeconds: 30
      containers:
        - name: {{ .name }}
          image: {{ include "xueji.image" .root | quote }}
          imagePullPolicy: {{ .root.Values.image.pullPolicy }}
          command: [{{ .command | quote }}]
          ports:
            - {name: http, containerPort: 8000, protocol: TCP}
            - {name: management, containerPort: {{ .root.Values.managementPort }}, protocol: TCP}
          envFrom:
            - configMapRef: {name: {{ include "xueji.name" . }}}
          env:
            {{- include "xueji.commonEnv" .root | nindent 12 }}
            - name: XUEJI_MANAGEMENT_PORT
              value: {{ .root.Values.managementPort | quote }}
            {{- with include "xueji.telemetryEnv" . }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with .env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          livenessProbe:
            httpGet: {path: /healthz, port: management}
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 6
          readinessProbe:
            httpGet: {path: /readyz, port: management}
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 3
          startupProbe:
            httpGet: {path: /healthz, port: management}
            periodSeconds: 2
            failureThreshold: 30
          resources: {{- toYaml .spec.resources | nindent 12 }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            capabilities: {drop: [ALL]}
          volumeMounts:
            - {name: tmp, mountPath: /tmp}
            - {name: jwt, mountPath: /etc/xueji/jwt, readOnly: true}
            {{- if .root.Values.kafka.caConfigMap }}
            - {name: kafka-ca, mountPath: /etc/xueji/kafka-ca, readOnly: true}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir: {sizeLimit: 64Mi}
        - name: jwt
          configMap: {name: {{ .root.Values.jwt.configMap | quote }}}
        {{- if .root.Values.kafka.caConfigMap }}
        - name: kafka-ca
          configMap: {name: {{ .root.Values.kafka.caConfigMap | quote }}}
        {{- end }}
{{- end -}}

{{- define "xueji.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "xueji.name" . }}
  labels: {{- include "xueji.labels" . | nindent 4 }}
spec:
  type: ClusterIP
  selector: {{- include "xueji.selector" . | nindent 4 }}
  ports:
    - {name: http, port: 80, targetPort: http, protocol: TCP}
    - {name: management, port: {{ .root.Values.managementPort }}, targetPort: management, protocol: TCP}
{{- end -}}

{{- define "xueji.configmap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "xueji.name" . }}
  labels: {{- include "xueji.labels" . | nindent 4 }}
data:
  {{- range $key, $value := .config }}
  {{ $key }}: {{ $value | toString | quote }}
  {{- end }}
{{- end -}}

{{- define "xueji.serviceaccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "xueji.name" . }}
  labels: {{- include "xueji.labels" . | nindent 4 }}
automountServiceAccountToken: false
{{- end -}}

{{- define "xueji.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "xueji.name" . }}
  labels: {{- include "xueji.labels" . | nindent 4 }}
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {{- include "xueji.selector" . | nindent 6 }}
{{- end -}}

{{- define "xueji.hpa" -}}
{{- if .spec.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "xueji.name" . }}
  labels: {{- include "xueji.labels" . | nindent 4 }}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: {{ include "xueji.name" . }}}
  minReplicas: {{ .spec.autoscaling.minReplicas }}
  maxReplicas: {{ .spec.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: {type: Utilization, averageUtilization: {{ .spec.autoscaling.targetCPUUtilizationPercentage }}}
{{- end }}
{{- end -}}

{{/* Only the traffic the service needs. In: its API port from the ingress controller and the console; its
     management port from Prometheus and the console (which reads each service's dead-letter counts there).
     Out: the cluster DNS, its data stores, the collector when traces are exported, and (per service) more.
     An empty `from` would admit everyone, so an empty peer list renders no rule. */}}
{{- define "xueji.networkpolicy" -}}
{{- $np := .root.Values.networkPolicy -}}
{{- $management := .root.Values.managementPort -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "xueji.name" . }}
  labels: {{- include "xueji.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels: {{- include "xueji.selector" . | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress:
    {{- with $np.httpFrom }}
    - from: {{- toYaml . | nindent 8 }}
      ports:
        - {port: 8000, protocol: TCP}
    {{- end }}
    {{- with $np.prometheusFrom }}
    - from: {{- toYaml . | nindent 8 }}
      ports:
        - {port: {{ $management }}, protocol: TCP}
    {{- end }}
    {{- if and .root.Values.console.enabled (ne .name "console") }}
    - from:  # the console calls the APIs with its users' tokens and reads the dead-letter counts
        - podSelector:
            matchLabels: {{- include "xueji.selector" (dict "root" .root "name" "console") | nindent 14 }}
      ports:
        - {port: 8000, protocol: TCP}
        - {port: {{ $management }}, protocol: TCP}
    {{- end }}
  egress:
    {{- include "xueji.dnsEgress" .root | nindent 4 }}
    {{- include "xueji.egressRule" $np.kafka | nindent 4 }}
    {{- include "xueji.egressRule" $np.mongodb | nindent 4 }}
    {{- if .root.Values.telemetry.otlpEndpoint }}
    {{- include "xueji.egressRule" .root.Values.telemetry.egress | nindent 4 }}
    {{- end }}
    {{- range .egress }}
    {{- include "xueji.egressRule" . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/* Egress to the cluster DNS only: port 53 over UDP and TCP. */}}
{{- define "xueji.dnsEgress" -}}
- to: {{- toYaml .Values.networkPolicy.dns.to | nindent 4 }}
  ports:
    - {port: 53, protocol: UDP}
    - {port: 53, protocol: TCP}
{{- end -}}

{{/* One egress rule from a value of the form {to: [peers], ports: [numbers]} (TCP). */}}
{{- define "xueji.egressRule" -}}
- to: {{- toYaml .to | nindent 4 }}
  ports:
    {{- range .ports }}
    - {port: {{ . }}, protocol: TCP}
    {{- end }}
{{- end -}}

{{/* Everything of one workload, as a list of documents. */}}
{{- define "xueji.workload" -}}
{{ include "xueji.configmap" . }}
---
{{ include "xueji.serviceaccount" . }}
---
{{ include "xueji.deployment" . }}
---
{{ include "xueji.service" . }}
---
{{ include "xueji.pdb" . }}
{{- if .spec.autoscaling.enabled }}
---
{{ include "xueji.hpa" . }}
{{- end }}
{{- if .root.Values.networkPolicy.enabled }}
---
{{ include "xueji.networkpolicy" . }}
{{- end }}
{{- end -}}
