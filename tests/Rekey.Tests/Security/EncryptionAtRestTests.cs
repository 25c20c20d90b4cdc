using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Rekey.Tests.Security;

/// <summary>
/// What an attacker with a copy of the database gets: no secret, no token, no key; and what one with write access
/// gets by moving ciphertexts between rows: an error, not another client's secret.
/// </summary>
public abstract class EncryptionAtRestSuite : SecuritySuite
{
    [Fact]
    public async Task the_database_never_holds_a_plaintext_secret_token_or_master_key()
    {
        var store = await NewStoreAsync();
        var host = await StartAsync(store);
        var admin = host.CreateAdminClient();
        var used = new List<string>();
        const string Marker = "plaintext-marker-of-the-scan";

        var serviceId = await admin.CreateServiceAsync(grace: 3600);
        var clients = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            var (clientId, secret) = await admin.CreateClientAsync(serviceId, new JsonObject { ["clientName"] = i == 0 ? Marker : "client " + i }.ToJsonString());
            clients.Add(clientId);
            used.Add(secret);
        }

        foreach (var clientId in clients)
        {
            used.Add(await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret(16)));
            used.Add(await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret(86)));
            used.Add(await admin.RefreshSecretAsync(serviceId, clientId));
            used.Add(await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret(33), grace: 0));
        }

        var (_, token) = await admin.CreateApiTokenAsync(serviceId, "client.read", "client.secret.write");
        var (status, _) = await host.CreateClient(token).SendRefreshSecretAsync(serviceId, clients[0]);
        Assert.Equal(HttpStatusCode.OK, status);
        var (rotated, rotation) = await admin.PostForJsonAsync("/api/keys/rotate", null);
        Assert.True(rotated == HttpStatusCode.OK, rotation.ToJsonString());
        used.Add(await admin.UpdateSecretAsync(serviceId, clients[1], TestApi.NewSecret(20)));
        // A leak report: the lookup digests (every secret has one) and the report leave no value behind either.
        var leaked = await admin.CurrentSecretAsync(serviceId, clients[2]);
        var (reported, report) = await admin.PostForJsonAsync($"/api/{serviceId}/client/secret/leak", Wire.Json(new JsonObject { ["clientSecret"] = leaked, ["url"] = "https://example.com/" + Marker }.ToJsonString()));
        Assert.True(reported == HttpStatusCode.OK && Sec.Code(report) == "A152001", report.ToJsonString());
        foreach (var clientId in clients)
        {
            used.Add(await admin.CurrentSecretAsync(serviceId, clientId));
        }

        var forbidden = used.Distinct().Select(s => ("client secret", s)).Append(("API token", token)).Append(("admin token", RekeyHost.AdminToken)).ToList();

        // While the server runs (journals included), and once it has stopped (SQLite: checkpointed and closed).
        await ScanAsync(store, Marker, forbidden);
        await StopAsync(host);
        await ScanAsync(store, Marker, forbidden);
    }

    /// <summary>Reads everything the store keeps and fails on any forbidden value; every source must show the marker.</summary>
    private async Task ScanAsync(TestStore store, string marker, IReadOnlyList<(string What, string Value)> forbidden)
    {
        var sources = new HashSet<string>(StringComparer.Ordinal);
        var marked = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var piece in Access.ReadAllBytesAsync(store))
        {
            var bytes = piece.Bytes;
            sources.Add(piece.Source);
            if (Sec.ContainsText(bytes, marker))
            {
                marked.Add(piece.Source);
            }

            foreach (var (what, value) in forbidden)
            {
                Assert.False(Sec.ContainsText(bytes, value), $"a {what} ({value.Length} characters) is in the database in clear ({piece})");
            }

            Assert.False(Sec.ContainsBytes(bytes, TestMasterKey), $"the master key is in the database ({piece})");
            Assert.False(Sec.ContainsText(bytes, Convert.ToBase64String(TestMasterKey)), $"the master key (base64) is in the database ({piece})");
            Assert.False(Sec.ContainsText(bytes, Convert.ToHexStringLower(TestMasterKey)) || Sec.ContainsText(bytes, Convert.ToHexString(TestMasterKey)),
                $"the master key (hex) is in the database ({piece})");
        }

        Assert.NotEmpty(sources);
        // The scan must see what the store writes in clear (the client name), or it proves nothing.
        Assert.Equal(sources.Order(StringComparer.Ordinal), marked.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task a_ciphertext_moved_to_another_client_does_not_decrypt_and_is_reported_cleanly()
    {
        var store = await NewStoreAsync();
        var host = await StartAsync(store);
        var admin = host.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync();
        var (a, secretA) = await admin.CreateClientAsync(serviceId);
        var (b, secretB) = await admin.CreateClientAsync(serviceId);
        var (c, secretC) = await admin.CreateClientAsync(serviceId);

        await Access.CopyCurrentSecretAsync(store, fromClientId: a, toClientId: b);
        var linesBefore = host.Logs.Lines.Count;
        var (status, body) = await admin.GetForJsonAsync($"/api/{serviceId}/client/get/{b}");

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal("A000103", Sec.Code(body));
        Assert.Equal(["resultCode", "resultMessage"], body.Select(p => p.Key).Order(StringComparer.Ordinal));
        var message = Sec.Text(body, "resultMessage");
        Assert.StartsWith("[A000103] A stored secret of the client (ID = ", message, StringComparison.Ordinal);
        foreach (var leak in new[] { secretA, secretB, "   at ", "Exception", ".cs:line" })
        {
            Assert.DoesNotContain(leak, message, StringComparison.Ordinal);
        }

        var logged = host.Logs.Lines.Skip(linesBefore).ToList();
        var row = $"rekey/client-secret/{serviceId}/{b}/";
        Assert.Contains(logged, l => l.Contains("could not be decrypted", StringComparison.Ordinal) && l.Contains("failed authentication", StringComparison.Ordinal)
            && l.Contains(row, StringComparison.Ordinal));
        Assert.DoesNotContain(logged, l => l.Contains(secretA, StringComparison.Ordinal) || l.Contains(secretB, StringComparison.Ordinal));

        // The row is unusable, the others are untouched.
        Assert.Equal(secretA, await admin.CurrentSecretAsync(serviceId, a));
        Assert.Equal(secretC, await admin.CurrentSecretAsync(serviceId, c));
        Assert.True(await host.VerifiesAsync(serviceId, a, secretA));
        Assert.True(await host.VerifiesAsync(serviceId, c, secretC));
    }

    [Fact]
    public async Task a_digest_moved_to_another_client_does_not_let_the_other_clients_secret_in()
    {
        var store = await NewStoreAsync();
        var host = await StartAsync(store);
        var admin = host.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync();
        var (a, secretA) = await admin.CreateClientAsync(serviceId);
        var (b, _) = await admin.CreateClientAsync(serviceId);

        // Someone who can write the database and knows A's secret copies A's row onto B's.
        await Access.CopyCurrentSecretAsync(store, fromClientId: a, toClientId: b);

        Assert.False(await host.VerifiesAsync(serviceId, b, secretA));
        Assert.True(await host.VerifiesAsync(serviceId, a, secretA));
    }
}

public sealed class SqliteEncryptionAtRestTests : EncryptionAtRestSuite
{
    protected override StoreAccess Access { get; } = new SqliteAccess();
}

[RequiresPostgres]
public sealed class PostgresEncryptionAtRestTests : EncryptionAtRestSuite
{
    protected override StoreAccess Access { get; } = new PostgresStoreAccess();
}
