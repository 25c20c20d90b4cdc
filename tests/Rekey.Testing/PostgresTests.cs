using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Rekey.Testing;

/// <summary>
/// Marks a test class that needs PostgreSQL. Where no PostgreSQL can be had (no binaries, no
/// <c>REKEY_TEST_POSTGRES</c>, and CI is not <c>true</c>) every test of the class is reported as skipped with the
/// reason, by <see cref="RekeyTestFramework"/> — including tests inherited from an abstract suite, which a
/// skipping <c>[Fact]</c> attribute could not reach. <see cref="OwnCluster"/>: the class stops its own cluster.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class RequiresPostgresAttribute : Attribute, ITestRequirement
{
    public bool OwnCluster { get; set; }

    public string? SkipReason => OwnCluster ? PostgresCluster.OwnClusterSkipReason : PostgresCluster.SkipReason;
}

/// <summary>A class attribute that says why the class's tests cannot run here (null: they can).</summary>
public interface ITestRequirement
{
    string? SkipReason { get; }
}

/// <summary>
/// Marks a test class that runs these programs (found on <c>PATH</c>). Where one is missing, every test of the class is
/// reported as skipped with the reason, unless CI is <c>true</c>: there the tests run and fail — or, with
/// <see cref="Optional"/>, are skipped there too (a tool CI does not install, such as <c>systemd-analyze</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class RequiresToolsAttribute(params string[] tools) : Attribute, ITestRequirement
{
    public IReadOnlyList<string> Tools => tools;

    /// <summary>Skip wherever a tool is missing, under <c>CI=true</c> as well.</summary>
    public bool Optional { get; set; }

    public string? SkipReason =>
        tools.Where(t => !OnPath(t)).ToList() is { Count: > 0 } missing
        && (Optional || !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            ? $"{string.Join(" and ", missing)} not found on PATH. Install them (Debian: apt-get install {string.Join(' ', missing)}); "
              + (Optional ? "these tests are skipped without them, under CI=true as well." : "under CI=true these tests fail instead.")
            : null;

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool)));
}

/// <summary>xunit's own framework, plus the skip of classes marked with an <see cref="ITestRequirement"/> that is not met.</summary>
public sealed class RekeyTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkDiscoverer CreateDiscoverer(IAssemblyInfo assemblyInfo) =>
        new Discoverer(assemblyInfo, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Discoverer(IAssemblyInfo assembly, ISourceInformationProvider source, IMessageSink diagnostics)
        : XunitTestFrameworkDiscoverer(assembly, source, diagnostics)
    {
        protected override bool FindTestsForMethod(ITestMethod testMethod, bool includeSourceInformation, IMessageBus messageBus, ITestFrameworkDiscoveryOptions discoveryOptions)
        {
            var reason = (testMethod.TestClass.Class as IReflectionTypeInfo)?.Type
                .GetCustomAttributes(inherit: true).OfType<ITestRequirement>().Select(r => r.SkipReason).FirstOrDefault(r => r is not null);
            if (reason is null || !testMethod.Method.GetCustomAttributes(typeof(FactAttribute)).Any())
            {
                return base.FindTestsForMethod(testMethod, includeSourceInformation, messageBus, discoveryOptions);
            }

            var skipped = new SkippedTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason);
            return ReportDiscoveredTestCase(skipped, includeSourceInformation, messageBus);
        }
    }
}

/// <summary>A test case reported as skipped with a reason decided at discovery (the reason survives serialisation).</summary>
public sealed class SkippedTestCase : XunitTestCase
{
    private string _reason = "";

    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public SkippedTestCase()
    {
    }

    public SkippedTestCase(IMessageSink diagnostics, TestMethodDisplay display, TestMethodDisplayOptions displayOptions, ITestMethod testMethod, string reason)
        : base(diagnostics, display, displayOptions, testMethod)
    {
        _reason = reason;
    }

    protected override string GetSkipReason(IAttributeInfo factAttribute) => _reason;

    public override void Serialize(IXunitSerializationInfo data)
    {
        base.Serialize(data);
        data.AddValue("SkipReasonText", _reason);
    }

    public override void Deserialize(IXunitSerializationInfo data)
    {
        _reason = data.GetValue<string>("SkipReasonText");
        base.Deserialize(data);
    }
}
