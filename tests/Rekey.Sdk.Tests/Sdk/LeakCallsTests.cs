using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Sdk;

/// <summary>
/// Leak reports and the secret format (issue #18): what the SDK refuses locally, what it puts on the wire, and what the
/// server answers.
/// </summary>
public sealed class LeakCallsTests(SqliteServerFixture fixture) : SdkTestBase(fixture)
{
    private const string FoundAt = "https://github.com/acme/payments/blob/main/.env";

    // ---- local checks, no request ------------------------------------------------------------------

    public static TheoryData<string?> BrokenValues => new()
    {
        null,
        "",
        new string('a', ClientSecretRules.MaxLength + 1),
        "has space",
        "dot.not-allowed",
        "ünïcode",
        "line\n",
    };

    [Theory]
    [MemberData(nameof(BrokenValues))]
    public async Task a_value_that_breaks_the_secret_rules_is_refused_locally_by_both_reports(string? value)
    {
        var expected = ClientSecretRules.Check(value) ?? throw new InvalidOperationException("a valid secret in BrokenValues");

        var service = await Rekey.ReportLeakAsync(1, new SecretLeakRequest { ClientSecret = value, Url = FoundAt });
        var anywhere = await Rekey.ReportLeakAnywhereAsync(new SecretLeakRequest { ClientSecret = value });

        Assert.Equal(0, Counter.Count);
        foreach (var local in new[] { service, anywhere })
        {
            Assert.False(local.IsSuccess);
            Assert.True(local.Error.IsLocal);
            Assert.Equal(RekeyErrorKind.Local, local.Error.Kind);
            Assert.Equal(400, local.Error.HttpStatus);
            Assert.Equal(expected.Code.Code, local.Error.ResultCode);
            Assert.Equal(expected.Message, local.Error.ResultMessage);
            Assert.Null(local.Error.RawBody);
            Assert.Equal(0, local.HttpStatus);
        }
    }

    [Fact]
    public async Task a_local_refusal_never_shows_the_value()
    {
        var local = await Rekey.ReportLeakAsync(1, new SecretLeakRequest { ClientSecret = "Leaked$ecretValue" });

        Assert.Equal(ResultCodes.SecretIllegalCharacter.Code, local.Error?.ResultCode);
        Assert.DoesNotContain("Leaked", local.Error?.ResultMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("Leaked", local.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, Counter.Count);
    }

    [Fact]
    public async Task a_null_request_is_a_programming_error_and_a_cancelled_token_throws_before_sending()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAsync<ArgumentNullException>(() => Rekey.ReportLeakAsync(1, null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Rekey.ReportLeakAnywhereAsync(null!));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Rekey.ReportLeakAsync(1, new SecretLeakRequest { ClientSecret = "x" }, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Rekey.ReportLeakAnywhereAsync(new SecretLeakRequest { ClientSecret = "x" }, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Rekey.GetSecretFormatAsync(cancelled.Token));
        Assert.Equal(0, Counter.Count);
    }

    // ---- the wire, against a recording stub --------------------------------------------------------

    [Fact]
    public async Task a_service_report_posts_the_value_and_url_as_camel_case_json_and_reads_the_matches()
    {
        var secret = TestApi.NewSecret();
        var stub = new RecordingHandler("""
            {"resultCode":"A152001","resultMessage":"[A152001] acted","matches":[{"serviceId":7,"clientId":42,"secretId":9,"status":"current",
            "response":"REVOKE","replacementSecretId":10,"clientLocked":true}]}
            """);

        var result = await Connect("t", stub).ReportLeakAsync(7, new SecretLeakRequest { ClientSecret = secret, Url = FoundAt });

        Assert.Equal(HttpMethod.Post, stub.Method);
        Assert.Equal("/api/7/client/secret/leak", stub.Uri?.AbsolutePath);
        Assert.Equal("Bearer t", stub.Authorization);
        Assert.Equal("application/json; charset=utf-8", stub.ContentType);
        using var body = JsonDocument.Parse(stub.Body ?? "");
        Assert.Equal(secret, body.RootElement.GetProperty("clientSecret").GetString());
        Assert.Equal(FoundAt, body.RootElement.GetProperty("url").GetString());
        Assert.Equal(2, body.RootElement.EnumerateObject().Count());

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal("A152001", result.Value.ResultCode);
        var match = Assert.Single(result.Value.Matches ?? []);
        Assert.Equal(new SecretLeakMatch { ServiceId = 7, ClientId = 42, SecretId = 9, Status = "current", Response = "REVOKE", ReplacementSecretId = 10, ClientLocked = true }, match);
        Assert.DoesNotContain(secret, result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_report_without_url_leaves_it_out_and_the_organisation_report_posts_to_the_path_without_service()
    {
        var secret = TestApi.NewSecret();
        var stub = new RecordingHandler("""{"resultCode":"A152003","resultMessage":"[A152003] none"}""");

        var result = await Connect("t", stub).ReportLeakAnywhereAsync(new SecretLeakRequest { ClientSecret = secret });

        Assert.Equal(HttpMethod.Post, stub.Method);
        Assert.Equal("/api/client/secret/leak", stub.Uri?.AbsolutePath);
        Assert.Equal($$"""{"clientSecret":"{{secret}}"}""", stub.Body);
        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal("A152003", result.Value.ResultCode);
        Assert.Null(result.Value.Matches);
    }

    [Fact]
    public async Task the_format_is_a_get_without_body_read_as_a_secret_format_response()
    {
        var stub = new RecordingHandler($$"""
            {"resultCode":"A153001","resultMessage":"[A153001] rks_","format":"IDENTIFIABLE","prefix":"rks_","length":53,
            "regex":{{JsonSerializer.Serialize(IdentifiableSecret.Pattern())}},"plainRegex":"rks_[0-9A-Za-z]{49}","checksum":"crc32","tokenType":"rekey_client_secret"}
            """);

        var result = await Connect("t", stub).GetSecretFormatAsync();

        Assert.Equal(HttpMethod.Get, stub.Method);
        Assert.Equal("/api/secret-format", stub.Uri?.AbsolutePath);
        Assert.Null(stub.Body);
        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal(53, result.Value.Length);
        Assert.Equal(IdentifiableSecret.Pattern(), result.Value.Regex);
        Assert.Equal("rks_[0-9A-Za-z]{49}", result.Value.PlainRegex);
    }

    // ---- against the server (issue #18 endpoints) --------------------------------------------------

    [Fact]
    public async Task a_current_secret_reported_under_revoke_is_replaced_without_grace_and_its_client_locked()
    {
        var serviceId = await Admin.CreateServiceAsync(grace: 3600);
        var client = await Admin.CreateClientAsync(serviceId);

        var report = await Rekey.ReportLeakAsync(serviceId, new SecretLeakRequest { ClientSecret = client.Secret, Url = FoundAt });

        Assert.True(report.IsSuccess, report.ToString());
        Assert.Equal(ResultCodes.LeakActedOn.Code, report.Value.ResultCode);
        Assert.Equal(ResultCodes.LeakActedOn.Format(1), report.Value.ResultMessage);
        var match = Assert.Single(report.Value.Matches ?? []);
        Assert.Equal(serviceId, match.ServiceId);
        Assert.Equal(client.ClientId, match.ClientId);
        Assert.Equal("current", match.Status);
        Assert.Equal(LeakResponses.Revoke, match.Response);
        Assert.True(match.ClientLocked);
        var replacement = match.ReplacementSecretId ?? throw new InvalidOperationException("no replacement: " + report);
        Assert.DoesNotContain(client.Secret, Encoding.UTF8.GetString(report.Body.Span), StringComparison.Ordinal);

        var after = await Rekey.GetClientAsync(serviceId, client.Id);
        Assert.True(after.Value?.Locked);
        Assert.NotEqual(client.Secret, after.Value?.ClientSecret);
        var secrets = (await Rekey.ListClientSecretsAsync(serviceId, client.Id)).Value?.Secrets ?? [];
        Assert.Equal("current", Assert.Single(secrets, s => s.SecretId == replacement).Status);
        // No grace period, whatever the service's: the leaked secret stops at once.
        var leaked = Assert.Single(secrets, s => s.SecretId == match.SecretId).Status;
        Assert.True(leaked is "revoked" or "expired", leaked);
    }

    [Fact]
    public async Task a_previous_secret_reported_under_revoke_is_revoked_and_the_current_one_stays()
    {
        var serviceId = await Admin.CreateServiceAsync(grace: 3600);
        var client = await Admin.CreateClientAsync(serviceId);
        var current = await Admin.UpdateSecretAsync(serviceId, client.ClientId, TestApi.NewSecret());

        var report = await Rekey.ReportLeakAsync(serviceId, new SecretLeakRequest { ClientSecret = client.Secret });

        Assert.True(report.IsSuccess, report.ToString());
        var match = Assert.Single(report.Value.Matches ?? []);
        Assert.Equal("previous", match.Status);
        Assert.Equal(LeakResponses.Revoke, match.Response);
        Assert.Null(match.ReplacementSecretId);
        Assert.Equal(current, await Admin.CurrentSecretAsync(client));
        var secrets = (await Rekey.ListClientSecretsAsync(serviceId, client.Id)).Value?.Secrets ?? [];
        Assert.Equal("revoked", Assert.Single(secrets, s => s.SecretId == match.SecretId).Status);
    }

    [Fact]
    public async Task under_lock_the_client_is_locked_and_its_secret_kept()
    {
        var serviceId = await Admin.CreateServiceAsync("""{"serviceName":"lock on leak","leakResponse":"LOCK"}""");
        var client = await Admin.CreateClientAsync(serviceId);

        var report = await Rekey.ReportLeakAsync(serviceId, new SecretLeakRequest { ClientSecret = client.Secret });

        var match = Assert.Single(report.Value?.Matches ?? []);
        Assert.Equal(LeakResponses.Lock, match.Response);
        Assert.True(match.ClientLocked);
        Assert.Null(match.ReplacementSecretId);
        var after = await Rekey.GetClientAsync(serviceId, client.Id);
        Assert.True(after.Value?.Locked);
        Assert.Equal(client.Secret, after.Value?.ClientSecret);
    }

    [Fact]
    public async Task under_notify_nothing_changes()
    {
        var serviceId = await Admin.CreateServiceAsync("""{"serviceName":"notify on leak","leakResponse":"NOTIFY"}""");
        var client = await Admin.CreateClientAsync(serviceId);

        var report = await Rekey.ReportLeakAsync(serviceId, new SecretLeakRequest { ClientSecret = client.Secret });

        var match = Assert.Single(report.Value?.Matches ?? []);
        Assert.Equal(LeakResponses.Notify, match.Response);
        Assert.False(match.ClientLocked);
        Assert.Null(match.ReplacementSecretId);
        var after = await Rekey.GetClientAsync(serviceId, client.Id);
        Assert.NotEqual(true, after.Value?.Locked);
        Assert.Equal(client.Secret, after.Value?.ClientSecret);
    }

    [Fact]
    public async Task a_value_that_is_no_live_secret_is_A152003_and_changes_nothing()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);

        var report = await Rekey.ReportLeakAsync(serviceId, new SecretLeakRequest { ClientSecret = TestApi.NewSecret(), Url = FoundAt });

        Assert.True(report.IsSuccess, report.ToString());
        Assert.Equal(ResultCodes.LeakNoMatch.Code, report.Value.ResultCode);
        Assert.Equal(ResultCodes.LeakNoMatch.Format(), report.Value.ResultMessage);
        Assert.Empty(report.Value.Matches ?? []);
        Assert.NotEqual(true, (await Rekey.GetClientAsync(serviceId, client.Id)).Value?.Locked);
    }

    [Fact]
    public async Task a_report_only_token_gets_the_same_answer_for_a_secret_and_a_guess_and_the_secret_is_still_acted_on()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);
        var reporter = Connect((await Admin.CreateApiTokenAsync(serviceId, Permissions.ClientSecretLeak)).Token);

        var real = await reporter.ReportLeakAsync(serviceId, new SecretLeakRequest { ClientSecret = client.Secret });
        var guess = await reporter.ReportLeakAsync(serviceId, new SecretLeakRequest { ClientSecret = TestApi.NewSecret() });

        Assert.True(real.IsSuccess, real.ToString());
        Assert.Equal(ResultCodes.LeakReceived.Code, real.Value.ResultCode);
        Assert.Null(real.Value.Matches);
        Assert.Equal(real.HttpStatus, guess.HttpStatus);
        Assert.Equal(Encoding.UTF8.GetString(real.Body.Span), Encoding.UTF8.GetString(guess.Body.Span));
        Assert.True((await Rekey.GetClientAsync(serviceId, client.Id)).Value?.Locked);
    }

    [Fact]
    public async Task a_token_with_client_secret_write_may_report_and_is_told_what_was_done()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);
        var writer = Connect((await Admin.CreateApiTokenAsync(serviceId, Permissions.ClientSecretWrite)).Token);

        var report = await writer.ReportLeakAsync(serviceId, new SecretLeakRequest { ClientSecret = client.Secret });

        Assert.Equal(ResultCodes.LeakActedOn.Code, report.Value?.ResultCode);
        Assert.Equal(client.ClientId, Assert.Single(report.Value?.Matches ?? []).ClientId);
    }

    [Fact]
    public async Task reporting_needs_client_secret_leak_and_the_organisation_report_the_organisation_token()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var reader = Connect((await Admin.CreateApiTokenAsync(serviceId, Permissions.ClientRead)).Token);
        var reporter = Connect((await Admin.CreateApiTokenAsync(serviceId, Permissions.ClientSecretLeak, Permissions.ClientSecretWrite)).Token);

        var denied = await reader.ReportLeakAsync(serviceId, new SecretLeakRequest { ClientSecret = TestApi.NewSecret() });
        var notOrganisation = await reporter.ReportLeakAnywhereAsync(new SecretLeakRequest { ClientSecret = TestApi.NewSecret() });

        Assert.Equal(403, denied.Error?.HttpStatus);
        Assert.Equal(ResultCodes.PermissionDenied.Code, denied.Error?.ResultCode);
        Assert.Equal(403, notOrganisation.Error?.HttpStatus);
        Assert.Equal(ResultCodes.PermissionDenied.Code, notOrganisation.Error?.ResultCode);
    }

    [Fact]
    public async Task the_organisation_report_finds_the_value_in_every_service()
    {
        var shared = TestApi.NewSecret();
        var first = await Admin.CreateClientAsync(await Admin.CreateServiceAsync("""{"serviceName":"first","leakResponse":"LOCK"}"""));
        var second = await Admin.CreateClientAsync(await Admin.CreateServiceAsync("""{"serviceName":"second","leakResponse":"NOTIFY"}"""));
        await Admin.UpdateSecretAsync(first.ServiceId, first.ClientId, shared);
        await Admin.UpdateSecretAsync(second.ServiceId, second.ClientId, shared);

        var report = await Rekey.ReportLeakAnywhereAsync(new SecretLeakRequest { ClientSecret = shared, Url = FoundAt });

        Assert.True(report.IsSuccess, report.ToString());
        Assert.Equal(ResultCodes.LeakActedOn.Code, report.Value.ResultCode);
        Assert.Equal(ResultCodes.LeakActedOn.Format(2), report.Value.ResultMessage);
        var matches = report.Value.Matches ?? [];
        Assert.Equal(2, matches.Count);
        Assert.Contains(matches, m => m.ServiceId == first.ServiceId && m.ClientId == first.ClientId && m.Response == LeakResponses.Lock && m.ClientLocked);
        Assert.Contains(matches, m => m.ServiceId == second.ServiceId && m.ClientId == second.ClientId && m.Response == LeakResponses.Notify && !m.ClientLocked);
    }

    public static TheoryData<string> BadUrls => new()
    {
        "https://example.com/" + new string('a', 1981),
        "https://example.com/\nforged log line",
        "https://example.com/\u0007",
    };

    [Theory]
    [MemberData(nameof(BadUrls))]
    public async Task a_bad_url_is_A152201_and_changes_nothing(string url)
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);

        var report = await Rekey.ReportLeakAsync(serviceId, new SecretLeakRequest { ClientSecret = client.Secret, Url = url });

        Assert.Equal(400, report.Error?.HttpStatus);
        Assert.Equal(ResultCodes.InvalidLeakUrl.Code, report.Error?.ResultCode);
        var after = await Rekey.GetClientAsync(serviceId, client.Id);
        Assert.NotEqual(true, after.Value?.Locked);
        Assert.Equal(client.Secret, after.Value?.ClientSecret);
    }

    [Theory]
    [MemberData(nameof(BrokenValues))]
    public async Task the_server_refuses_a_broken_value_with_the_code_and_message_of_the_local_check(string? value)
    {
        var serviceId = await Admin.CreateServiceAsync();
        var local = await Rekey.ReportLeakAsync(serviceId, new SecretLeakRequest { ClientSecret = value });

        using var response = await Admin.PostAsJsonAsync($"/api/{serviceId}/client/secret/leak", new SecretLeakRequest { ClientSecret = value },
            RekeyJsonContext.Default.SecretLeakRequest);
        var server = await response.Content.ReadFromJsonAsync(RekeyJsonContext.Default.ResultResponse);

        Assert.Equal((int)response.StatusCode, local.Error?.HttpStatus);
        Assert.Equal(server?.ResultCode, local.Error?.ResultCode);
        Assert.Equal(server?.ResultMessage, local.Error?.ResultMessage);
    }

    [Fact]
    public async Task the_format_is_served_to_any_valid_token_and_matches_the_shared_definition()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var reporter = Connect((await Admin.CreateApiTokenAsync(serviceId, Permissions.ClientSecretLeak)).Token);

        var format = await reporter.GetSecretFormatAsync();
        var anonymous = await Connect(token: null).GetSecretFormatAsync();

        Assert.True(format.IsSuccess, format.ToString());
        var f = format.Value;
        Assert.Equal(ResultCodes.SecretFormatDescribed.Code, f.ResultCode);
        Assert.Equal(ResultCodes.SecretFormatDescribed.Format(f.Prefix), f.ResultMessage);
        Assert.Equal(SecretFormats.Identifiable, f.Format);
        Assert.True(IdentifiableSecret.IsValidPrefix(f.Prefix), f.Prefix);
        Assert.Equal(IdentifiableSecret.Length(f.Prefix), f.Length);
        Assert.Equal(IdentifiableSecret.Pattern(f.Prefix), f.Regex);
        Assert.Equal(IdentifiableSecret.PlainPattern(f.Prefix), f.PlainRegex);
        Assert.False(string.IsNullOrWhiteSpace(f.Checksum));
        Assert.False(string.IsNullOrWhiteSpace(f.TokenType));
        Assert.Equal(401, anonymous.Error?.HttpStatus);
    }

    [Fact]
    public async Task a_service_in_the_identifiable_format_generates_secrets_the_served_format_recognises()
    {
        var serviceId = await Admin.CreateServiceAsync("""{"serviceName":"scannable","clientSecretFormat":"IDENTIFIABLE"}""");
        var client = await Admin.CreateClientAsync(serviceId);
        var format = (await Rekey.GetSecretFormatAsync()).Value ?? throw new InvalidOperationException("no format");

        var refreshed = await Rekey.RefreshClientSecretAsync(serviceId, client.Id);

        foreach (var secret in new[] { client.Secret, refreshed.Value?.NewClientSecret })
        {
            Assert.Equal(IdentifiableSecretProblem.None, IdentifiableSecret.Check(secret, format.Prefix));
            Assert.Equal(secret, Regex.Match($"CLIENT_SECRET={secret}\n", format.Regex).Value);
        }

        // And a report of it finds it.
        var report = await Rekey.ReportLeakAsync(serviceId, new SecretLeakRequest { ClientSecret = refreshed.Value?.NewClientSecret });
        Assert.Equal(ResultCodes.LeakActedOn.Code, report.Value?.ResultCode);
    }

    /// <summary>Answers every request with 200 and a fixed body; records the last request, its body read before the answer.</summary>
    private sealed class RecordingHandler(string body) : HttpMessageHandler
    {
        public HttpMethod? Method { get; private set; }

        public Uri? Uri { get; private set; }

        public string? Authorization { get; private set; }

        public string? ContentType { get; private set; }

        public string? Body { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Method = request.Method;
            Uri = request.RequestUri;
            Authorization = request.Headers.Authorization?.ToString();
            ContentType = request.Content?.Headers.ContentType?.ToString();
            Body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        }
    }
}
