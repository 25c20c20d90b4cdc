using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Rekey.Cli;

namespace Rekey.Sdk.Tests.Cli;

/// <summary>An https server whose certificate the system does not trust: a plain message, --cacert, --insecure.</summary>
public sealed class CliTlsTests(SqliteServerFixture fixture) : CliTestBase(fixture)
{
    private const string EmptyList = """{"start":0,"end":5,"totalCount":0,"services":[]}""";

    [Fact]
    public async Task an_untrusted_certificate_is_a_plain_one_line_error_and_cacert_or_insecure_get_through()
    {
        using var certificate = SelfSigned();
        await using var stub = await StubServer.StartAsync(200, EmptyList, certificate: certificate);
        var env = EnvFor(stub);
        var pem = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(pem, certificate.ExportCertificatePem());

            var refused = await RunAsync(env, null, "service", "list");
            Assert.Equal(ExitCodes.Failure, refused.ExitCode);
            Assert.Equal("error: tls the server's TLS certificate is not trusted: pass --cacert <file> with the CA that issued it (or --insecure for a test server).\n", refused.Err);
            Assert.Empty(stub.Paths);

            var trusted = await RunAsync(env, null, "service", "list", "--cacert", pem);
            Assert.True(trusted.ExitCode == ExitCodes.Success, trusted.ToString());
            Assert.Equal("", trusted.Err);

            var insecure = await RunAsync(env, null, "service", "list", "--insecure");
            Assert.True(insecure.ExitCode == ExitCodes.Success, insecure.ToString());
            Assert.Equal("warning: --insecure: the server's certificate is not checked.\n", insecure.Err);
        }
        finally
        {
            File.Delete(pem);
        }
    }

    [Fact]
    public async Task a_cacert_file_without_a_certificate_is_a_usage_error()
    {
        var empty = Path.GetTempFileName();
        try
        {
            var run = await RunAsync(Env(1), null, "service", "list", "--cacert", empty);

            Assert.Equal(ExitCodes.Usage, run.ExitCode);
            Assert.Equal($"error: usage --cacert '{empty}' holds no PEM certificate.\n", run.Err);
        }
        finally
        {
            File.Delete(empty);
        }
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=rekey test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // Kestrel needs the key in a form the platform can use for TLS: a PKCS#12 round trip gives it one.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }
}
