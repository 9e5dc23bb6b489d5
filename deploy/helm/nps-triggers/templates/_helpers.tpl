{{- define "nps.labels" -}}
app.kubernetes.io/name: nps-triggers
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "nps.image" -}}
"{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
{{- end -}}

{{/* The Secret a section's settings come from: the existing one when named, else the chart's own. */}}
{{- define "nps.secretName" -}}
{{- $root := index . 0 -}}{{- $section := index . 1 -}}
{{- $values := index $root.Values $section -}}
{{- if $values.existingSecret }}{{ $values.existingSecret }}{{ else }}{{ $root.Release.Name }}-{{ $section | kebabcase }}{{ end -}}
{{- end -}}

{{- define "nps.envFrom" -}}
{{- range $section := list "postgres" "kafka" "smtp" "bounces" "twilio" "surveyLinks" "keys" }}
- secretRef:
    name: {{ include "nps.secretName" (list $ $section) }}
{{- end }}
{{- end -}}

{{- define "nps.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "nps.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/* An Ingress for the given paths (dict: root, name, spec = its values, paths = list of (path, role whose Service serves it)). */}}
{{- define "nps.ingress" -}}
{{- $root := .root -}}{{- $spec := .spec -}}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ $root.Release.Name }}-{{ .name }}
  labels:
    {{- include "nps.labels" $root | nindent 4 }}
  {{- with $spec.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with $spec.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- if $spec.tlsSecret }}
  tls:
    - hosts: [{{ $spec.host | quote }}]
      secretName: {{ $spec.tlsSecret }}
  {{- end }}
  rules:
    - host: {{ $spec.host | quote }}
      http:
        paths:
          {{- range .paths }}
          - path: {{ index . 0 }}
            pathType: Prefix
            backend:
              service:
                name: {{ $root.Release.Name }}-{{ index . 1 }}
                port: { name: http }
          {{- end }}
{{- end -}}
