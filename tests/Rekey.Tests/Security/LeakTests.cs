using System.Net;
using System.Security.Cryptography;
using Rekey.Contracts;
using Rekey.Server.Hosting;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;

namespace Rekey.Tests.Security;

/// <summary>
/// The leak scan: after every kind of operation (successful, refused and broken), no secret, token or key appears
/// in any audit event or any log line; and records that carry secrets do not print them.
/// </summary>
public abstract class LeakSuite : SecuritySuite
{
    private static readonly byte[] SecondMasterKey = RandomNumberGenerator.GetBytes(32);

    /// <summary>Every value that must never be written down, with what it is.</summary>
    private sealed class Forbidden
    {
        private readonly List<(string What, string Value)> _values = [];

        public IReadOnlyList<(string What, string Value)> Values => _values;

        public string Add(string what, string value)
        {
            _values.Add((what, value));
            return value;
        }

        public void AssertAbsentFrom(string where, IEnumerable<string> texts)
        {
            var all = texts.ToList();
            Assert.NotEmpty(all);
            foreach (var (what, value) in _values)
            {
                var hit = all.FirstOrDefault(t => t.Contains(value, StringComparison.Ordinal));
                Assert.True(hit is null, $"{what} found in {where}: {hit}");
            }
        }
    }

    [Fact]
    public async Task no_secret_token_or_key_reaches_an_audit_event_or_a_log_line()
    {
        var forbidden = new Forbidden();
        forbidden.Add("admin token", RekeyHost.AdminToken);
        forbidden.Add("master key", Convert.ToBase64String(TestMasterKey));
        forbidden.Add("master key (hex)", Convert.ToHexString(TestMasterKey));
        forbidden.Add("second master key", Convert.ToBase64String(SecondMasterKey));
        forbidden.Add("second master key (hex)", Convert.ToHexString(SecondMasterKey));
        var verbose = new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Trace" };

        var store = await NewStoreAsync();
        var host = await StartAsync(store, settings: verbose);
        var admin = host.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync(grace: 3600);
        var (a, secretA) = await admin.CreateClientAsync(serviceId);
        var (b, secretB) = await admin.CreateClientAsync(serviceId);
        var (c, secretC) = await admin.CreateClientAsync(serviceId);
        forbidden.Add("generated secret", secretA);
        forbidden.Add("generated secret", secretB);
        forbidden.Add("generated secret", secretC);

        // Updates (JSON and form), refreshes, grace, revocation, lock, document update.
        var chosen = await admin.UpdateSecretAsync(serviceId, a, forbidden.Add("chosen secret", TestApi.NewSecret(86)));
        var (status, body) = await admin.PostForJsonAsync($"/api/{serviceId}/client/secret/update/{a}",
            Wire.Form(("clientSecret", forbidden.Add("chosen secret (form)", TestApi.NewSecret(24))), ("gracePeriod", "0")));
        Assert.Equal(HttpStatusCode.OK, status);
        forbidden.Add("refreshed secret", await admin.RefreshSecretAsync(serviceId, b));
        forbidden.Add("refreshed secret", await admin.RefreshSecretAsync(serviceId, b, grace: "10"));
        var previousId = (await admin.ListSecretsAsync(serviceId, b)).First(s => Sec.Text(s, "status") == "previous")!["secretId"]!.GetValue<long>();
        await admin.RevokeSecretAsync(serviceId, b, previousId);
        await admin.LockClientAsync(serviceId, c);
        (status, _) = await admin.PostForJsonAsync($"/api/{serviceId}/client/update/{c}", Wire.Json("""{"clientName":"renamed"}"""));
        Assert.Equal(HttpStatusCode.OK, status);

        // Refused: secrets that break a rule, a grace period out of range, a client that does not exist.
        foreach (var bad in new[] { "has a space and is long enough to matter", "x" + TestApi.NewSecret(86), "with/slash-" + TestApi.NewSecret(20) })
        {
            (status, _) = await admin.SendUpdateSecretAsync(serviceId, a, forbidden.Add("refused secret", bad));
            Assert.Equal(HttpStatusCode.BadRequest, status);
        }

        (status, _) = await admin.SendUpdateSecretAsync(serviceId, a, forbidden.Add("secret with a bad grace", TestApi.NewSecret()), grace: -1);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, _) = await admin.SendUpdateSecretAsync(serviceId, "no-such-client", forbidden.Add("secret for nobody", TestApi.NewSecret()));
        Assert.Equal(HttpStatusCode.NotFound, status);
        (status, _) = await admin.PostForJsonAsync($"/api/{serviceId}/client/secret/update/{a}", Wire.Json("{\"clientSecret\":\"" + forbidden.Add("secret in broken JSON", TestApi.NewSecret()) + "\""));
        Assert.Equal(HttpStatusCode.BadRequest, status);

        // API tokens: created, used (reading secrets, rotating), refused, deleted; an unknown token.
        var (tokenId, token) = await admin.CreateApiTokenAsync(serviceId, Permissions.ClientRead, Permissions.ClientSecretRead, Permissions.ClientSecretWrite, Permissions.AuditRead);
        forbidden.Add("API token", token);
        var service = host.CreateClient(token);
        forbidden.Add("secret read by token", await service.CurrentSecretAsync(serviceId, c));
        forbidden.Add("refreshed by token", await service.RefreshSecretAsync(serviceId, c));
        (status, _) = await service.PostForJsonAsync($"/api/{serviceId}/client/create", Wire.Json("{}"));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        var (_, limited) = await admin.CreateApiTokenAsync(serviceId, Permissions.ClientRead);
        forbidden.Add("API token", limited);
        (status, _) = await host.CreateClient(limited).SendUpdateSecretAsync(serviceId, a, forbidden.Add("secret of a forbidden update", TestApi.NewSecret()));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        (status, _) = await host.CreateClient(forbidden.Add("unknown token", "rk_" + TestApi.NewSecret(43))).GetForJsonAsync($"/api/{serviceId}/client/get/{a}");
        Assert.Equal(HttpStatusCode.Unauthorized, status);

        // Verification, good and bad, and the last-use flush.
        Assert.True(await host.VerifiesAsync(serviceId, a, await admin.CurrentSecretAsync(serviceId, a)));
        Assert.False(await host.VerifiesAsync(serviceId, a, forbidden.Add("wrong presented secret", TestApi.NewSecret())));
        Assert.False(await host.VerifiesAsync(serviceId, "nobody", forbidden.Add("presented for nobody", TestApi.NewSecret())));
        Assert.False(await host.VerifiesAsync(serviceId, a, chosen));
        await host.GetService<SecretMaintenance>().RunOnceAsync(CancellationToken.None);

        // Keys, and a broken row.
        (status, _) = await admin.PostForJsonAsync("/api/keys/rotate", null);
        Assert.Equal(HttpStatusCode.OK, status);
        (status, _) = await admin.PostForJsonAsync("/api/keys/reencrypt", null);
        Assert.Equal(HttpStatusCode.OK, status);
        await Access.CopyCurrentSecretAsync(store, fromClientId: a, toClientId: c);
        (status, _) = await admin.GetForJsonAsync($"/api/{serviceId}/client/get/{c}");
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        forbidden.Add("current secret", await admin.CurrentSecretAsync(serviceId, a));
        forbidden.Add("current secret", await admin.CurrentSecretAsync(serviceId, b));

        (status, _) = await admin.SendForJsonAsync(HttpMethod.Delete, $"/api/apitoken/delete/{tokenId}");
        Assert.Equal(HttpStatusCode.NoContent, status);
        (status, _) = await admin.SendForJsonAsync(HttpMethod.Delete, $"/api/{serviceId}/client/delete/{b}");
        Assert.Equal(HttpStatusCode.NoContent, status);
        var audit = await AuditTextsAsync(admin, serviceId);
        await StopAsync(host);

        // A restart with a new master key (rewrap) and a start with a wrong one.
        var second = await StartAsync(store, settings: new Dictionary<string, string?>(verbose)
        {
            ["Rekey:MasterKeys:1"] = "second:" + Convert.ToBase64String(SecondMasterKey),
        });
        Assert.Equal(HttpStatusCode.OK, (await second.CreateAdminClient().GetForJsonAsync($"/api/{serviceId}/client/get/{a}")).Status);
        audit.AddRange(await AuditTextsAsync(second.CreateAdminClient(), serviceId));
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(store, settings: new Dictionary<string, string?>
        {
            ["Rekey:MasterKeys:0"] = "second:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        }));

        Assert.Contains(audit, e => e.Contains(AuditActions.SecretUpdate, StringComparison.Ordinal));
        Assert.Contains(host.Logs.Lines, l => l.Contains("could not be decrypted", StringComparison.Ordinal));
        forbidden.AssertAbsentFrom("the audit trail", audit);
        forbidden.AssertAbsentFrom("the log", host.Logs.Lines);
        forbidden.AssertAbsentFrom("the log after restart", second.Logs.Lines);
        forbidden.AssertAbsentFrom("the start-up error", [failure.ToString()]);
    }

    private static async Task<List<string>> AuditTextsAsync(HttpClient admin, long serviceId)
    {
        var texts = new List<string>();
        foreach (var path in new[] { "/api/audit/get/list?end=1000", $"/api/{serviceId}/audit/get/list?end=1000" })
        {
            var (status, body) = await admin.GetForJsonAsync(path);
            Assert.Equal(HttpStatusCode.OK, status);
            texts.AddRange(body["events"]!.AsArray().Select(e => e!.ToJsonString()));
        }

        return texts;
    }

    [Fact]
    public void records_that_carry_secrets_do_not_print_them()
    {
        var secret = TestApi.NewSecret(86);
        var old = TestApi.NewSecret(40);
        var material = RandomNumberGenerator.GetBytes(32);
        var bytes = RandomNumberGenerator.GetBytes(48);
        var masterKey = new MasterKey("m1", material);

        (object Record, string[] Secrets, byte[][] Material)[] cases =
        [
            (new SecretRotation(1, 2, old, secret), [secret, old], []),
            (new SecretRotationRequest(1, "client", secret, 60), [secret], []),
            (new NewClient(1, "alias", "dev", false, "{}", secret), [secret], []),
            (new StoredClient(1, 1, 2, 2, "alias", "dev", false, "{}", 0, 0, secret, null), [secret], []),
            (new SealedSecret("k1", bytes, material), [], [bytes, material]),
            (new WrappedDataKey("k1", 0, [new DataKeyWrap("m1", bytes, 0)]), [], [bytes]),
            (new DataKeyWrap("m1", bytes, 0), [], [bytes]),
            (new StoredMasterKey("m1", bytes, 0, null), [], [bytes]),
            (masterKey, [], [material, masterKey.WrappingKey, masterKey.CheckValue]),
            (new KeyRing([masterKey]), [], [material, masterKey.WrappingKey]),
            (new RekeyOptions { AdminToken = secret, MasterKeys = ["m1:" + Convert.ToBase64String(material)] }, [secret], [material]),
            (new ClientSecretUpdateRequest { ClientSecret = secret, GracePeriod = 5 }, [secret], []),
            (new ClientSecretResponse { ResultCode = "A149001", ResultMessage = "ok", NewClientSecret = secret, OldClientSecret = old }, [secret, old], []),
            (new ClientDocument { ClientId = 1, ClientSecret = secret }, [secret], []),
            (new ApiTokenInfo { TokenId = 1, Token = secret }, [secret], []),
        ];

        foreach (var (record, secrets, keys) in cases)
        {
            var text = record.ToString() ?? "";
            foreach (var s in secrets)
            {
                Assert.False(text.Contains(s, StringComparison.Ordinal), $"{record.GetType().Name}.ToString() shows a secret: {text}");
                Assert.False(text.Contains(s[..8], StringComparison.Ordinal), $"{record.GetType().Name}.ToString() shows part of a secret: {text}");
            }

            foreach (var k in keys)
            {
                Assert.False(text.Contains(Convert.ToBase64String(k), StringComparison.Ordinal), $"{record.GetType().Name}.ToString() shows key material: {text}");
                Assert.False(text.Contains(Convert.ToHexString(k), StringComparison.OrdinalIgnoreCase), $"{record.GetType().Name}.ToString() shows key material: {text}");
            }
        }
    }
}

public sealed class SqliteLeakTests : LeakSuite
{
    protected override StoreAccess Access { get; } = new SqliteAccess();
}

[RequiresPostgres]
public sealed class PostgresLeakTests : LeakSuite
{
    protected override StoreAccess Access { get; } = new PostgresStoreAccess();
}
