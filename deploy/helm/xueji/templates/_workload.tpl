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
  selector:
    matchLabels: {{- include "xueji.selector" . | nindent 6 }}
  template:
    metadata:
      labels: {{- include "xueji.selector" . | nindent 8 }}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "8000"
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
          envFrom:
            - configMapRef: {name: {{ include "xueji.name" . }}}
          env:
            {{- include "xueji.commonEnv" .root | nindent 12 }}
            {{- with .env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          livenessProbe:
            httpGet: {path: /healthz, port: http}
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 6
          readinessProbe:
            httpGet: {path: /readyz, port: http}
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 3
          startupProbe:
            httpGet: {path: /healthz, port: http}
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

{{/* Only the traffic the service needs: DNS, its data stores, and (per service) more. */}}
{{- define "xueji.networkpolicy" -}}
{{- if .root.Values.networkPolicy.enabled }}
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
    - from: {{- toYaml .root.Values.networkPolicy.httpFrom | nindent 8 }}
      ports:
        - {port: 8000, protocol: TCP}
    {{- if and .root.Values.console.enabled (ne .name "console") }}
    - from:  # the console calls the APIs with its users' tokens
        - podSelector:
            matchLabels: {{- include "xueji.selector" (dict "root" .root "name" "console") | nindent 14 }}
      ports:
        - {port: 8000, protocol: TCP}
    {{- end }}
  egress:
    - ports:
        - {port: 53, protocol: UDP}
        - {port: 53, protocol: TCP}
    {{- range $store := list "kafka" "mongodb" }}
    {{- with index $.root.Values.networkPolicy $store }}
    - to: {{- toYaml .to | nindent 8 }}
      ports:
        {{- range .ports }}
        - {port: {{ . }}, protocol: TCP}
        {{- end }}
    {{- end }}
    {{- end }}
    {{- range .egress }}
    - to: {{- toYaml .to | nindent 8 }}
      ports:
        {{- range .ports }}
        - {port: {{ . }}, protocol: TCP}
        {{- end }}
    {{- end }}
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
