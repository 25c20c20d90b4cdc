using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Rekey.Tests.Hosting;

/// <summary>The server process with Kestrel's own certificate from PEM files, as docs/deployment.md (TLS) configures it.</summary>
public sealed class TlsTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("rekey-tls-");

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public async Task with_a_pem_certificate_and_key_the_server_answers_https_and_issues_a_token()
    {
        using var certificate = SelfSigned();
        var certificatePath = Path.Combine(_work.FullName, "rekey.crt");
        var keyPath = Path.Combine(_work.FullName, "rekey.key");
        await File.WriteAllTextAsync(certificatePath, certificate.ExportCertificatePem());
        using (var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("no key"))
        {
            await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
        }

        var (server, baseAddress) = await ProgramProcess.StartServerAsync(_work.FullName, "--Rekey:DataDirectory=" + Path.Combine(_work.FullName, "data"),
            "--Rekey:AdminToken=" + RekeyHost.AdminToken, "--Kestrel:Endpoints:Https:Url=https://127.0.0.1:0",
            "--Kestrel:Endpoints:Https:Certificate:Path=" + certificatePath, "--Kestrel:Endpoints:Https:Certificate:KeyPath=" + keyPath);
        using (server)
        {
            Assert.Equal("https", baseAddress.Scheme);
            using var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, errors) => TrustedBy(certificate, presented, errors);
            using var admin = RekeyHost.AdminClientFor(baseAddress, handler);
            var serviceId = await admin.CreateServiceAsync();
            var client = await admin.CreateClientAsync(serviceId, """{"clientName":"tls","grantTypes":["CLIENT_CREDENTIALS"]}""");
            using var anyone = new HttpClient(handler, disposeHandler: false) { BaseAddress = baseAddress };

            var (status, token) = await anyone.SendTokenRequestAsync(serviceId, client.ClientId, client.Secret);

            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("Bearer", token["token_type"]?.GetValue<string>());
            var (_, metadata) = await anyone.GetForJsonAsync($"/.well-known/oauth-authorization-server/oauth2/{serviceId}");
            Assert.StartsWith($"https://127.0.0.1:{baseAddress.Port}/oauth2/", metadata["issuer"]?.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    /// <summary>An ECDSA P-256 certificate for 127.0.0.1 and localhost, valid for a day.</summary>
    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=rekey test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }

    /// <summary>The name must match; the chain must end at this certificate, trusted for this test only.</summary>
    private static bool TrustedBy(X509Certificate2 root, X509Certificate? presented, SslPolicyErrors errors)
    {
        if (presented is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(presented);
        return chain.Build(leaf);
    }
}
