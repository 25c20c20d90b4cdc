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
public sealed class RequiresPostgresAttribute : Attribute
{
    public bool OwnCluster { get; set; }

    public string? SkipReason => OwnCluster ? PostgresCluster.OwnClusterSkipReason : PostgresCluster.SkipReason;
}

/// <summary>xunit's own framework, plus the skip of <see cref="RequiresPostgresAttribute"/> classes.</summary>
public sealed class RekeyTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkDiscoverer CreateDiscoverer(IAssemblyInfo assemblyInfo) =>
        new Discoverer(assemblyInfo, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Discoverer(IAssemblyInfo assembly, ISourceInformationProvider source, IMessageSink diagnostics)
        : XunitTestFrameworkDiscoverer(assembly, source, diagnostics)
    {
        protected override bool FindTestsForMethod(ITestMethod testMethod, bool includeSourceInformation, IMessageBus messageBus, ITestFrameworkDiscoveryOptions discoveryOptions)
        {
            var requirement = (testMethod.TestClass.Class as IReflectionTypeInfo)?.Type
                .GetCustomAttributes(typeof(RequiresPostgresAttribute), inherit: true).OfType<RequiresPostgresAttribute>().FirstOrDefault();
            if (requirement?.SkipReason is not { } reason || !testMethod.Method.GetCustomAttributes(typeof(FactAttribute)).Any())
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
