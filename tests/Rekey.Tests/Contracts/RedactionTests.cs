using Rekey.Contracts;
using Rekey.Server.Hosting;
using Rekey.Server.Storage;

namespace Rekey.Tests.Contracts;

/// <summary>
/// Records print themselves in logs, exception messages and debugger views: none of them may print a secret or a
/// token. Each test also checks something harmless is printed, so an empty ToString() cannot pass for redaction.
/// </summary>
public sealed class RedactionTests
{
    private const string Secret = "Zx9-redaction-probe_secret-0042";
    private const string Other = "Qw7-redaction-probe_other-0043";

    [Fact]
    public void redact_shows_null_or_stars_whatever_the_value()
    {
        Assert.Equal("null", Redact.Secret(null));
        Assert.Equal("***", Redact.Secret(Secret));
        Assert.Equal("***", Redact.Secret(""));
    }

    [Fact]
    public void client_secret_update_request_hides_the_secret()
    {
        var text = new ClientSecretUpdateRequest { ClientSecret = Secret }.ToString();

        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        Assert.Contains("ClientSecret = ***", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, $"{new ClientSecretUpdateRequest { ClientSecret = Secret }}", StringComparison.Ordinal);
    }

    [Fact]
    public void client_secret_response_hides_both_secrets()
    {
        var text = new ClientSecretResponse { ResultCode = "A149001", ResultMessage = "[A149001] ok", NewClientSecret = Secret, OldClientSecret = Other }.ToString();

        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Other, text, StringComparison.Ordinal);
        Assert.Contains("A149001", text, StringComparison.Ordinal);
    }

    [Fact]
    public void client_document_hides_the_secret_and_shows_the_id()
    {
        var document = new ClientDocument { ClientId = 123456789012, ClientName = "named", ClientSecret = Secret };

        Assert.DoesNotContain(Secret, document.ToString(), StringComparison.Ordinal);
        Assert.Contains("123456789012", document.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void api_token_info_hides_the_token_value()
    {
        var info = new ApiTokenInfo { TokenId = 123456789012, ServiceId = 5, Permissions = ["client.read"], Token = "rk_" + Secret };

        Assert.DoesNotContain(Secret, info.ToString(), StringComparison.Ordinal);
        Assert.Contains("123456789012", info.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void list_responses_do_not_print_their_items()
    {
        var clients = new ClientListResponse { TotalCount = 1, Clients = [new ClientDocument { ClientId = 1, ClientSecret = Secret }] };
        var tokens = new ApiTokenListResponse { TotalCount = 1, ApiTokens = [new ApiTokenInfo { TokenId = 1, Token = Secret }] };

        Assert.DoesNotContain(Secret, clients.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, tokens.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void server_records_that_carry_a_secret_hide_it()
    {
        var stored = new StoredClient(1, 1, 123456789012, 1, "alias", null, false, "{}", 0, 0, Secret, null);
        var created = new NewClient(1, "alias", null, false, "{}", Secret);
        var rotation = new SecretRotation(123456789012, 987654321098, Other, Secret);

        foreach (var text in new[] { stored.ToString(), created.ToString(), rotation.ToString() })
        {
            Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Other, text, StringComparison.Ordinal);
        }

        Assert.Contains("123456789012", stored.ToString(), StringComparison.Ordinal);
        Assert.Contains("123456789012", rotation.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void options_hide_the_admin_token_and_master_keys()
    {
        var options = new RekeyOptions { AdminToken = Secret, MasterKeys = ["k1:" + Other], DataDirectory = "/data" };

        Assert.DoesNotContain(Secret, options.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Other, options.ToString(), StringComparison.Ordinal);
        Assert.Contains("/data", options.ToString(), StringComparison.Ordinal);
    }
}
