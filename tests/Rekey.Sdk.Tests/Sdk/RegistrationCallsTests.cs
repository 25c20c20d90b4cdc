using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Sdk;

/// <summary>
/// Dynamic client registration through the SDK: a service's initial access tokens, and Authlete's
/// <c>/client/registration</c> API, whose refusals are answers (HTTP 200 with an action), not errors.
/// </summary>
public sealed class RegistrationCallsTests(SqliteServerFixture fixture) : SdkTestBase(fixture)
{
    private const string Metadata = """{"client_name":"robot","grant_types":["client_credentials"]}""";

    private Task<long> RegistrationServiceAsync(string policy = ClientRegistrationPolicies.InitialAccessToken) =>
        Admin.CreateServiceAsync($$"""{"serviceName":"dcr","clientRegistrationPolicy":"{{policy}}"}""");

    private static ClientInformation Information(RekeyResult<ClientRegistrationResponse> result) =>
        JsonSerializer.Deserialize(result.Value?.ResponseContent ?? throw new InvalidOperationException(result.ToString()), RekeyJsonContext.Default.ClientInformation)
        ?? throw new InvalidOperationException("null client information");

    /// <summary>RFC 7591 registration at Rekey's own endpoint, as a client would: 201 or the status of the refusal.</summary>
    private async Task<HttpStatusCode> RegisterAtEndpointAsync(long serviceId, string? initialAccessToken)
    {
        using var anyone = Host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/oauth2/{serviceId}/register")
        {
            Content = new StringContent(Metadata, Encoding.UTF8, "application/json"),
        };
        if (initialAccessToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", initialAccessToken);
        }

        using var response = await anyone.SendAsync(request);
        return response.StatusCode;
    }

    // ---- local checks and the wire -----------------------------------------------------------------

    [Fact]
    public async Task a_null_request_a_negative_index_and_a_cancelled_token_throw_before_sending()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAsync<ArgumentNullException>(() => Rekey.CreateInitialAccessTokenAsync(1, null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Rekey.RegisterClientAsync(1, null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Rekey.GetClientRegistrationAsync(1, null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Rekey.UpdateClientRegistrationAsync(1, null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Rekey.DeleteClientRegistrationAsync(1, null!));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Rekey.ListInitialAccessTokensAsync(1, start: -1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Rekey.RevokeInitialAccessTokenAsync(1, 1, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Rekey.RegisterClientAsync(1, new ClientRegistrationRequest { Json = "{}" }, cancelled.Token));
        Assert.Equal(0, Counter.Count);
    }

    [Fact]
    public async Task an_envelope_call_posts_camel_case_json_and_a_bad_request_action_is_a_success_without_the_token_in_to_string()
    {
        var stub = new RecordingHandler("""
            {"resultCode":"A217301","resultMessage":"[A217301] not yours","action":"BAD_REQUEST","responseContent":"{\"error\":\"invalid_token\"}"}
            """);

        var result = await Connect("t", stub).UpdateClientRegistrationAsync(7, new ClientRegistrationRequest { ClientId = "42", Token = "rkr_secret", Json = "{}" });

        Assert.Equal(HttpMethod.Post, stub.Method);
        Assert.Equal("/api/7/client/registration/update", stub.Uri?.AbsolutePath);
        Assert.Equal("application/json; charset=utf-8", stub.ContentType);
        Assert.Equal("""{"json":"{}","token":"rkr_secret","clientId":"42"}""", stub.Body);
        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal(ClientRegistrationActions.BadRequest, result.Value.Action);
        Assert.Equal("A217301", result.Value.ResultCode);
        Assert.DoesNotContain("invalid_token", result.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("rkr_secret", new ClientRegistrationRequest { ClientId = "42", Token = "rkr_secret" }.ToString(), StringComparison.Ordinal);
    }

    // ---- initial access tokens, against the real server ------------------------------------------------

    [Fact]
    public async Task an_initial_access_token_is_shown_once_registers_a_client_is_listed_without_its_value_and_is_revoked()
    {
        var serviceId = await RegistrationServiceAsync();

        var created = await Rekey.CreateInitialAccessTokenAsync(serviceId,
            new InitialAccessTokenCreateRequest { Description = "ci pipeline", ExpiresIn = 3600, SingleUse = false });

        Assert.True(created.IsSuccess, created.ToString());
        var info = created.Value;
        var token = info.Token ?? throw new InvalidOperationException("no token value");
        Assert.StartsWith("rki_", token, StringComparison.Ordinal);
        Assert.DoesNotContain(token, created.ToString(), StringComparison.Ordinal);
        Assert.Equal(serviceId, info.ServiceId);
        Assert.Equal("ci pipeline", info.Description);
        Assert.Equal(info.CreatedAt + 3_600_000, info.ExpiresAt);
        Assert.False(info.SingleUse);
        Assert.Equal(0, info.Registrations);

        Assert.Equal(HttpStatusCode.Created, await RegisterAtEndpointAsync(serviceId, token));

        var list = await Rekey.ListInitialAccessTokensAsync(serviceId, end: 1000);
        Assert.True(list.IsSuccess, list.ToString());
        Assert.Equal(1, list.Value.TotalCount);
        var listed = Assert.Single(list.Value.InitialAccessTokens);
        Assert.Equal(info.TokenId, listed.TokenId);
        Assert.Null(listed.Token);
        Assert.Equal(1, listed.Registrations);
        Assert.NotNull(listed.LastUsedAt);
        Assert.DoesNotContain(token, Encoding.UTF8.GetString(list.Body.Span), StringComparison.Ordinal);

        var revoked = await Rekey.RevokeInitialAccessTokenAsync(serviceId, info.TokenId);
        Assert.True(revoked.IsSuccess, revoked.ToString());
        Assert.Equal(204, revoked.HttpStatus);
        Assert.Equal(HttpStatusCode.Unauthorized, await RegisterAtEndpointAsync(serviceId, token));
        Assert.Empty((await Rekey.ListInitialAccessTokensAsync(serviceId)).Value?.InitialAccessTokens ?? [new InitialAccessTokenInfo()]);

        var again = await Rekey.RevokeInitialAccessTokenAsync(serviceId, info.TokenId);
        Assert.Equal(404, again.Error?.HttpStatus);
        Assert.Equal(ResultCodes.InitialAccessTokenNotFound.Code, again.Error?.ResultCode);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(31_536_001L)]
    public async Task a_lifetime_outside_one_second_to_a_year_is_A155201_and_creates_nothing(long expiresIn)
    {
        var serviceId = await RegistrationServiceAsync();

        var refused = await Rekey.CreateInitialAccessTokenAsync(serviceId, new InitialAccessTokenCreateRequest { ExpiresIn = expiresIn });

        Assert.Equal(400, refused.Error?.HttpStatus);
        Assert.Equal(ResultCodes.InitialAccessTokenInvalidExpiry.Code, refused.Error?.ResultCode);
        Assert.Equal(0, (await Rekey.ListInitialAccessTokensAsync(serviceId)).Value?.TotalCount);
    }

    [Fact]
    public async Task a_bad_description_is_A155202_and_an_empty_request_makes_a_token_without_expiry()
    {
        var serviceId = await RegistrationServiceAsync();

        var refused = await Rekey.CreateInitialAccessTokenAsync(serviceId, new InitialAccessTokenCreateRequest { Description = "two\nlines" });
        var plain = await Rekey.CreateInitialAccessTokenAsync(serviceId, new InitialAccessTokenCreateRequest());

        Assert.Equal(ResultCodes.InitialAccessTokenInvalidDescription.Code, refused.Error?.ResultCode);
        Assert.True(plain.IsSuccess, plain.ToString());
        Assert.Null(plain.Value.ExpiresAt);
        Assert.False(plain.Value.SingleUse);
    }

    [Fact]
    public async Task the_token_calls_need_client_registration_in_the_tokens_own_service()
    {
        var serviceId = await RegistrationServiceAsync();
        var other = await RegistrationServiceAsync();
        var reader = Connect((await Admin.CreateApiTokenAsync(serviceId, Permissions.ClientRead, Permissions.ClientWrite)).Token);
        var registrar = Connect((await Admin.CreateApiTokenAsync(serviceId, Permissions.ClientRegistration)).Token);

        var denied = await reader.CreateInitialAccessTokenAsync(serviceId, new InitialAccessTokenCreateRequest());
        var elsewhere = await registrar.ListInitialAccessTokensAsync(other);
        var allowed = await registrar.CreateInitialAccessTokenAsync(serviceId, new InitialAccessTokenCreateRequest { SingleUse = true });

        Assert.Equal(403, denied.Error?.HttpStatus);
        Assert.Equal(ResultCodes.PermissionDenied.Code, denied.Error?.ResultCode);
        Assert.False(elsewhere.IsSuccess, elsewhere.ToString());
        Assert.True(allowed.IsSuccess, allowed.ToString());
        Assert.True(allowed.Value.SingleUse);
    }

    // ---- Authlete's registration API, against the real server --------------------------------------------

    [Fact]
    public async Task authletes_api_registers_reads_updates_and_deletes_a_client_with_its_registration_access_token()
    {
        var document = new ServiceDocument { ServiceName = "dcr via sdk", ClientRegistrationPolicy = ClientRegistrationPolicies.InitialAccessToken };
        var serviceId = await Admin.CreateServiceAsync(JsonSerializer.Serialize(document, RekeyJsonContext.Default.ServiceDocument));
        using var anyone = Host.CreateClient();

        var created = await Rekey.RegisterClientAsync(serviceId, new ClientRegistrationRequest { Json = Metadata });

        Assert.True(created.IsSuccess, created.ToString());
        Assert.Equal(200, created.HttpStatus);
        Assert.Equal((ResultCodes.RegistrationCreated.Code, ClientRegistrationActions.Created), (created.Value.ResultCode, created.Value.Action));
        var registered = Information(created);
        var (clientId, secret, rat) = (registered.ClientId, registered.ClientSecret ?? "", registered.RegistrationAccessToken ?? "");
        Assert.StartsWith("rkr_", rat, StringComparison.Ordinal);
        Assert.Equal("robot", registered.ClientName);
        Assert.Equal(clientId, $"{created.Value.Client?.ClientId}");
        Assert.Equal(secret, created.Value.Client?.ClientSecret);
        Assert.True(created.Value.Client?.DynamicallyRegistered);
        Assert.DoesNotContain(secret, created.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(rat, created.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await anyone.SendTokenRequestAsync(serviceId, clientId, secret)).Status);

        var read = await Rekey.GetClientRegistrationAsync(serviceId, new ClientRegistrationRequest { ClientId = clientId, Token = rat });
        Assert.Equal((ResultCodes.RegistrationRead.Code, ClientRegistrationActions.Ok), (read.Value?.ResultCode, read.Value?.Action));
        Assert.Equal(secret, Information(read).ClientSecret);

        var updated = await Rekey.UpdateClientRegistrationAsync(serviceId, new ClientRegistrationRequest
        {
            ClientId = clientId,
            Token = rat,
            Json = """{"client_name":"robot v2","grant_types":["client_credentials"]}""",
        });
        Assert.Equal((ResultCodes.RegistrationUpdated.Code, ClientRegistrationActions.Updated), (updated.Value?.ResultCode, updated.Value?.Action));
        var renamed = Information(updated);
        Assert.Equal("robot v2", renamed.ClientName);
        Assert.NotEqual(secret, renamed.ClientSecret);
        var rat2 = renamed.RegistrationAccessToken ?? "";
        Assert.NotEqual(rat, rat2);
        Assert.Equal("robot v2", (await Rekey.GetClientAsync(serviceId, clientId)).Value?.ClientName);

        var stale = await Rekey.DeleteClientRegistrationAsync(serviceId, new ClientRegistrationRequest { ClientId = clientId, Token = rat });
        Assert.True(stale.IsSuccess, stale.ToString());
        Assert.Equal((ResultCodes.RegistrationDeleteUnauthorized.Code, ClientRegistrationActions.BadRequest), (stale.Value.ResultCode, stale.Value.Action));

        var deleted = await Rekey.DeleteClientRegistrationAsync(serviceId, new ClientRegistrationRequest { ClientId = clientId, Token = rat2 });
        Assert.Equal((ResultCodes.RegistrationDeleted.Code, ClientRegistrationActions.Deleted), (deleted.Value?.ResultCode, deleted.Value?.Action));
        Assert.Null(deleted.Value?.ResponseContent);
        Assert.Null(deleted.Value?.Client);
        Assert.Equal(404, (await Rekey.GetClientAsync(serviceId, clientId)).Error?.HttpStatus);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anyone.SendTokenRequestAsync(serviceId, clientId, renamed.ClientSecret ?? "")).Status);
    }

    [Fact]
    public async Task a_wrong_registration_access_token_is_an_answer_with_action_bad_request_and_A217301_not_an_error()
    {
        var serviceId = await RegistrationServiceAsync();
        var clientId = Information(await Rekey.RegisterClientAsync(serviceId, new ClientRegistrationRequest { Json = Metadata })).ClientId;

        var wrong = await Rekey.GetClientRegistrationAsync(serviceId, new ClientRegistrationRequest { ClientId = clientId, Token = "rkr_wrong" });

        Assert.True(wrong.IsSuccess, wrong.ToString());
        Assert.Equal(200, wrong.HttpStatus);
        Assert.Equal((ResultCodes.RegistrationReadUnauthorized.Code, ClientRegistrationActions.BadRequest), (wrong.Value.ResultCode, wrong.Value.Action));
        using var content = JsonDocument.Parse(wrong.Value.ResponseContent ?? "");
        Assert.Equal("invalid_token", content.RootElement.GetProperty("error").GetString());
        Assert.Null(wrong.Value.Client);
    }

    [Fact]
    public async Task bad_metadata_and_a_closed_service_are_bad_request_answers_and_a_missing_permission_is_an_error()
    {
        var serviceId = await RegistrationServiceAsync();
        var closed = await RegistrationServiceAsync(ClientRegistrationPolicies.Closed);
        var reader = Connect((await Admin.CreateApiTokenAsync(serviceId, Permissions.ClientRead, Permissions.ClientWrite)).Token);

        var malformed = await Rekey.RegisterClientAsync(serviceId, new ClientRegistrationRequest { Json = "not json" });
        var refused = await Rekey.RegisterClientAsync(closed, new ClientRegistrationRequest { Json = Metadata });
        var denied = await reader.RegisterClientAsync(serviceId, new ClientRegistrationRequest { Json = Metadata });

        Assert.Equal((ResultCodes.RegistrationMetadataInvalid.Code, ClientRegistrationActions.BadRequest), (malformed.Value?.ResultCode, malformed.Value?.Action));
        Assert.Equal((ResultCodes.RegistrationClosed.Code, ClientRegistrationActions.BadRequest), (refused.Value?.ResultCode, refused.Value?.Action));
        Assert.Equal(403, denied.Error?.HttpStatus);
        Assert.Equal(ResultCodes.PermissionDenied.Code, denied.Error?.ResultCode);
        Assert.Equal(0, (await Rekey.ListClientsAsync(serviceId)).Value?.TotalCount);
    }

    /// <summary>Answers every request with 200 and a fixed body; records the last request, its body read before the answer.</summary>
    private sealed class RecordingHandler(string body) : HttpMessageHandler
    {
        public HttpMethod? Method { get; private set; }

        public Uri? Uri { get; private set; }

        public string? ContentType { get; private set; }

        public string? Body { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Method = request.Method;
            Uri = request.RequestUri;
            ContentType = request.Content?.Headers.ContentType?.ToString();
            Body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        }
    }

    [Fact]
    public async Task refreshing_a_registration_access_token_returns_the_new_one_once_and_the_old_one_stops_working()
    {
        var serviceId = await RegistrationServiceAsync();
        var registered = await Rekey.RegisterClientAsync(serviceId, new ClientRegistrationRequest { Json = Metadata });
        var information = Information(registered);

        var refreshed = await Rekey.RefreshRegistrationTokenAsync(serviceId, information.ClientId);

        Assert.True(refreshed.IsSuccess, refreshed.ToString());
        Assert.Equal("A159001", refreshed.Value.ResultCode);
        Assert.StartsWith("rkr_", refreshed.Value.RegistrationAccessToken, StringComparison.Ordinal);
        Assert.DoesNotContain(refreshed.Value.RegistrationAccessToken!, refreshed.Value.ToString(), StringComparison.Ordinal);
        var old = await Rekey.GetClientRegistrationAsync(serviceId, new ClientRegistrationRequest { ClientId = information.ClientId, Token = information.RegistrationAccessToken });
        Assert.Equal(ClientRegistrationActions.BadRequest, old.Value?.Action);
        var current = await Rekey.GetClientRegistrationAsync(serviceId,
            new ClientRegistrationRequest { ClientId = information.ClientId, Token = refreshed.Value.RegistrationAccessToken });
        Assert.Equal(ClientRegistrationActions.Ok, current.Value?.Action);

        var manual = await Admin.CreateClientAsync(serviceId);
        var refused = await Rekey.RefreshRegistrationTokenAsync(serviceId, manual.Id);
        Assert.False(refused.IsSuccess);
        Assert.Equal("A159201", refused.Error?.ResultCode);
    }
}
