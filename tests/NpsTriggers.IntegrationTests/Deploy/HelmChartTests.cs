using System.Diagnostics;
using NpsTriggers.Testing;
using YamlDotNet.RepresentationModel;

namespace NpsTriggers.IntegrationTests.Deploy;

/// <summary>The Helm chart, linted and rendered by helm itself (scripts/ensure-helm.sh), its manifests parsed and checked.</summary>
public sealed class HelmChartTests
{
    private static readonly string Chart = RepoRoot.Combine("deploy", "helm", "nps-triggers");
    private static readonly string Production = Path.Combine(Chart, "ci", "production-values.yaml");
    /// <summary>The one value the chart cannot default: the service refuses to start without Kafka brokers.</summary>
    private static readonly string[] Brokers = ["--set", "kafka.bootstrapServers=kafka.example:9092"];
    private static readonly Lazy<string> HelmBinary = new(() => Run("bash", [RepoRoot.Combine("scripts", "ensure-helm.sh")]).Output.Trim());

    private static (int Code, string Output, string Error) Run(string file, string[] args)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error);
    }

    private static (int Code, string Output, string Error) Helm(params string[] args) => Run(HelmBinary.Value, args);

    private static List<YamlMappingNode> Template(params string[] extra)
    {
        var (code, output, error) = Helm(["template", "nps", Chart, .. extra]);
        code.ShouldBe(0, error);
        var stream = new YamlStream();
        stream.Load(new StringReader(output));
        return [.. stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>()];
    }

    private static YamlNode? At(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next))
                return null;
            node = next;
        }
        return node;
    }

    private static string? Text(YamlNode node, params string[] path) => (At(node, path) as YamlScalarNode)?.Value;

    private static IEnumerable<YamlMappingNode> Kind(List<YamlMappingNode> docs, string kind) => docs.Where(d => Text(d, "kind") == kind);

    private static YamlMappingNode Container(YamlMappingNode deployment) =>
        (YamlMappingNode)((YamlSequenceNode)At(deployment, "spec", "template", "spec", "containers")!).Children[0];

    private static string? Env(YamlMappingNode container, string name) =>
        ((YamlSequenceNode)At(container, "env")!).Children.Cast<YamlMappingNode>().Where(e => Text(e, "name") == name).Select(e => Text(e, "value")).SingleOrDefault();

    private static List<string> SecretRefs(YamlMappingNode container) =>
        [.. ((YamlSequenceNode)At(container, "envFrom")!).Children.Select(e => Text(e, "secretRef", "name")!)];

    [Fact]
    public void Lint_DefaultAndProductionValues_Pass()
    {
        foreach (var values in new[] { Brokers, ["-f", Production] })
        {
            var (code, output, error) = Helm(["lint", Chart, .. values]);
            code.ShouldBe(0, output + error);
            output.ShouldContain("0 chart(s) failed");
        }
    }

    [Fact]
    public void Template_Defaults_OneDeploymentPerRoleWithProbesSecretsAndALockedDownPod()
    {
        var docs = Template(Brokers);
        var deployments = Kind(docs, "Deployment").ToList();
        deployments.Select(d => Text(d, "metadata", "name")).Order().ShouldBe(["nps-dispatch", "nps-ingest", "nps-triggers"]);
        foreach (var deployment in deployments)
        {
            var role = Text(deployment, "metadata", "name")!["nps-".Length..];
            var container = Container(deployment);
            Env(container, "Roles").ShouldBe(role);
            Env(container, "DOTNET_ENVIRONMENT").ShouldBe("Production");
            Env(container, "Postgres__MigrateOnStart").ShouldBe("false"); // the hook Job migrates
            Text(container, "livenessProbe", "httpGet", "path").ShouldBe("/healthz/live");
            Text(container, "readinessProbe", "httpGet", "path").ShouldBe("/healthz/ready");
            SecretRefs(container).ShouldBe(["nps-postgres", "nps-kafka", "nps-smtp", "nps-bounces", "nps-twilio", "nps-survey-links", "nps-keys"]);
            Text(deployment, "spec", "template", "spec", "securityContext", "runAsNonRoot").ShouldBe("true");
            Text(deployment, "spec", "template", "spec", "securityContext", "seccompProfile", "type").ShouldBe("RuntimeDefault");
            Text(container, "securityContext", "readOnlyRootFilesystem").ShouldBe("true");
            Text(container, "securityContext", "allowPrivilegeEscalation").ShouldBe("false");
            ((YamlSequenceNode)At(container, "securityContext", "capabilities", "drop")!).Children.Select(c => ((YamlScalarNode)c).Value).ShouldBe(["ALL"]);
            // Rules hot-reload by default: no checksum that would roll the pods on every edit.
            At(deployment, "spec", "template", "metadata", "annotations", "checksum/rules").ShouldBeNull();
        }
        // The autoscaler owns the ingest replica count; the others are fixed.
        At(deployments.Single(d => Text(d, "metadata", "name") == "nps-ingest"), "spec", "replicas").ShouldBeNull();
        Text(deployments.Single(d => Text(d, "metadata", "name") == "nps-dispatch"), "spec", "replicas").ShouldBe("2");

        Text(Kind(docs, "HorizontalPodAutoscaler").Single(), "spec", "scaleTargetRef", "name").ShouldBe("nps-ingest");
        Kind(docs, "PodDisruptionBudget").Count().ShouldBe(3);
        var job = Kind(docs, "Job").Single();
        Text(job, "metadata", "annotations", "helm.sh/hook").ShouldBe("pre-install,pre-upgrade");
        ((YamlSequenceNode)At(Container(job), "args")!).Children.Select(c => ((YamlScalarNode)c).Value).ShouldBe(["migrate"]);
        // The chart's own Secrets exist before that hook reads them.
        var secrets = Kind(docs, "Secret").ToList();
        secrets.Count.ShouldBe(7);
        secrets.ShouldAllBe(s => Text(s, "metadata", "annotations", "helm.sh/hook") == "pre-install,pre-upgrade");
        Text(Kind(docs, "ConfigMap").Single(), "data", "send-rules.yaml")!.ShouldContain("order-delivered-email");
        Kind(docs, "Ingress").ShouldBeEmpty();
    }

    [Fact]
    public void Template_ProductionValues_UsesExistingSecretsKafkaSaslTlsIngressAndRollsOnRuleChanges()
    {
        var docs = Template("-f", Production);
        Kind(docs, "Secret").ShouldBeEmpty();
        var triggers = Kind(docs, "Deployment").Single(d => Text(d, "metadata", "name") == "nps-triggers");
        var container = Container(triggers);
        SecretRefs(container).ShouldBe(["nps-postgres", "nps-kafka", "nps-smtp", "nps-bounces", "nps-twilio", "nps-link-keys", "nps-api-keys"]);
        Env(container, "Kafka__Client__security.protocol").ShouldBe("SASL_SSL");
        Env(container, "Kafka__Client__ssl.ca.location").ShouldBe("/etc/kafka-ca/ca.crt");
        Text(triggers, "spec", "replicas").ShouldBe("6");
        Text(triggers, "spec", "template", "metadata", "annotations", "checksum/rules")!.Length.ShouldBe(64);
        var ingress = Kind(docs, "Ingress").Single(i => Text(i, "metadata", "name") == "nps-ingest");
        Text((YamlMappingNode)((YamlSequenceNode)At(ingress, "spec", "tls")!).Children[0], "secretName").ShouldBe("nps-acme-tls");
        Text((YamlMappingNode)((YamlSequenceNode)At(ingress, "spec", "rules")!).Children[0], "host").ShouldBe("nps.acme.example");
        Text(Kind(docs, "Ingress").Single(i => Text(i, "metadata", "name") == "nps-ops"), "spec", "ingressClassName").ShouldBe("nginx-internal");
        Kind(docs, "PodMonitor").Count().ShouldBe(3);
        SecretRefs(Container(Kind(docs, "Job").Single())).ShouldBe(["nps-postgres"]);
    }

    private static List<string> Paths(YamlMappingNode ingress) =>
        [.. ((YamlSequenceNode)At((YamlMappingNode)((YamlSequenceNode)At(ingress, "spec", "rules")!).Children[0], "http", "paths")!).Children
            .Cast<YamlMappingNode>().Select(p => Text(p, "path")!)];

    private static List<string> Backends(YamlMappingNode ingress) =>
        [.. ((YamlSequenceNode)At((YamlMappingNode)((YamlSequenceNode)At(ingress, "spec", "rules")!).Children[0], "http", "paths")!).Children
            .Cast<YamlMappingNode>().Select(p => Text(p, "backend", "service", "name")!)];

    /// <summary>Issue 18, item 2: the public Ingress carries the customer paths only; the ops paths need a second, opt-in one.</summary>
    [Fact]
    public void Template_Ingress_ExposesOnlyTheCustomerPaths_OpsPathsOnlyThroughTheOptInOpsIngress()
    {
        var publicOnly = Template([.. Brokers, "--set", "ingress.enabled=true"]);
        Paths(Kind(publicOnly, "Ingress").Single()).ShouldBe(["/s", "/u", "/twilio"]);

        var both = Template([.. Brokers, "--set", "ingress.enabled=true", "--set", "opsIngress.enabled=true", "--set", "opsIngress.host=nps-ops.internal"]);
        var ops = Kind(both, "Ingress").Single(i => Text(i, "metadata", "name") == "nps-ops");
        Paths(ops).ShouldBe(["/dashboard", "/hangfire", "/metrics", "/api", "/api/events"]);
        // Issue 19: POST /api/events is served by the triggers role, through a Service of its own.
        Backends(ops).ShouldBe(["nps-ingest", "nps-ingest", "nps-ingest", "nps-ingest", "nps-triggers"]);
        Kind(both, "Service").Select(s => Text(s, "metadata", "name")).Order().ShouldBe(["nps-ingest", "nps-triggers"]);
        Text(Kind(both, "Service").Single(s => Text(s, "metadata", "name") == "nps-triggers"), "spec", "selector", "app.kubernetes.io/component")
            .ShouldBe("triggers");
        Text((YamlMappingNode)((YamlSequenceNode)At(ops, "spec", "rules")!).Children[0], "host").ShouldBe("nps-ops.internal");
        Paths(Kind(both, "Ingress").Single(i => Text(i, "metadata", "name") == "nps-ingest")).ShouldBe(["/s", "/u", "/twilio"]);
    }

    /// <summary>Issue 18, item 4: no install without brokers (the service would refuse to start), unless a Secret holds them.</summary>
    [Fact]
    public void Template_WithoutBootstrapServers_FailsNamingTheValue()
    {
        var (code, _, error) = Helm("template", "nps", Chart);
        code.ShouldNotBe(0);
        error.ShouldContain("kafka.bootstrapServers is required");
        Template("--set", "kafka.existingSecret=nps-kafka").ShouldNotBeEmpty();
    }

    [Theory]
    [InlineData("roles:\n  triggers:\n    replicas: -1\n", "roles.triggers.replicas")]
    [InlineData("rolse:\n  triggers: {}\n", "rolse")]
    [InlineData("kafka:\n  sasl:\n    mechanism: MD5\n", "kafka.sasl.mechanism")]
    [InlineData("config:\n  DOTNET_ENVIRONMENT: Development\n", "config")]
    [InlineData("config:\n  ASPNETCORE_ENVIRONMENT: Development\n", "config")]
    public void Template_ValuesBreakingTheSchema_FailWithThePath(string values, string path)
    {
        var file = Path.Combine(Path.GetTempPath(), $"nps-values-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, values);
        try
        {
            var (code, _, error) = Helm(["template", "nps", Chart, "-f", file, .. Brokers]);
            code.ShouldNotBe(0);
            error.ShouldContain("values don't meet the specifications of the schema");
            error.ShouldContain(path);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
