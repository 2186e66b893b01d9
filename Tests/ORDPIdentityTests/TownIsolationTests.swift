import Foundation
import ORDPIdentityAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// Through the real executable over TLS: towns, and what one town's admin can and cannot do.
@Suite struct TownIsolationTests {
  @Test func seedsTheTownsOnFirstStart() async throws {
    let identity = try await IdentityProcess.start()
    defer { identity.stop() }
    let channel = try identity.channel()
    defer { channel.close() }
    let client = Ordp_Identity_V1_Identity_Client(channel: channel)
    let towns = try await client.listOrganisations(.init()).organisations
    #expect(
      towns.map(\.id) == ["arnsberg", "bad-berleburg", "iserlohn", "menden", "olpe", "soest"])
    #expect(towns.first { $0.id == "iserlohn" }?.kind == .joining)
    #expect(towns.filter { $0.kind == .pioneer }.count == 5)
    #expect(towns.allSatisfy { $0.active })
  }

  @Test func aTownAdminManagesOnlyItsOwnTown() async throws {
    let identity = try await IdentityProcess.start()
    defer { identity.stop() }
    let channel = try identity.channel()
    defer { channel.close() }
    let client = Ordp_Identity_V1_Identity_Client(channel: channel)
    let root = try await client.login("admin", IdentityProcess.adminPassword).accessToken
    _ = try await client.createUser("soest.chief", in: "soest", role: .admin, token: root)
    let arnsbergUser = try await client.createUser("arnsberg.clerk", in: "arnsberg", token: root)
    let soest = try await client.login("soest.chief", "Correct-Horse-Battery-7").accessToken

    // Its own town: create, list, change.
    let own = try await client.createUser("soest.clerk", in: "soest", role: .editor, token: soest)
    var list = Ordp_Identity_V1_ListUsersRequest()
    list.organisationID = "soest"
    let members = try await client.listUsers(list, options: bearer(soest)).users.map(\.username)
    #expect(members == ["soest.chief", "soest.clerk"])
    var disable = Ordp_Identity_V1_SetUserDisabledRequest()
    disable.userID = own.id
    disable.disabled = true
    #expect(try await client.setUserDisabled(disable, options: bearer(soest)).disabled)

    // Another town: hidden users look missing; its lists and writes are refused.
    list.organisationID = "arnsberg"
    #expect(
      await statusOf { try await client.listUsers(list, options: bearer(soest)) }?.code
        == .permissionDenied)
    var get = Ordp_Identity_V1_GetUserRequest()
    get.id = arnsbergUser.id
    #expect(
      await statusOf { try await client.getUser(get, options: bearer(soest)) }?.code == .notFound)
    disable.userID = arnsbergUser.id
    #expect(
      await statusOf { try await client.setUserDisabled(disable, options: bearer(soest)) }?.code
        == .notFound)
    var reset = Ordp_Identity_V1_ChangePasswordRequest()
    reset.userID = arnsbergUser.id
    reset.newPassword = "Another-Long-Passphrase-1"
    #expect(
      await statusOf { try await client.changePassword(reset, options: bearer(soest)) }?.code
        == .notFound)
    var delete = Ordp_Identity_V1_DeleteUserRequest()
    delete.userID = arnsbergUser.id
    #expect(
      await statusOf { try await client.deleteUser(delete, options: bearer(soest)) }?.code
        == .notFound)
    var membership = Ordp_Identity_V1_SetMembershipRequest()
    membership.userID = arnsbergUser.id
    membership.organisationID = "soest"
    membership.role = .viewer
    #expect(
      await statusOf { try await client.setMembership(membership, options: bearer(soest)) }?.code
        == .notFound)
    let intoArnsberg = await statusOf {
      try await client.createUser("sneaky.user", in: "arnsberg", role: .admin, token: soest)
    }
    #expect(intoArnsberg?.code == .permissionDenied)
    var account = Ordp_Identity_V1_CreateServiceAccountRequest()
    account.organisationID = "arnsberg"
    account.name = "importer"
    #expect(
      await statusOf { try await client.createServiceAccount(account, options: bearer(soest)) }?
        .code == .permissionDenied)
    var audit = Ordp_Identity_V1_QueryAuditRequest()
    audit.organisationID = "arnsberg"
    #expect(
      await statusOf { try await client.queryAudit(audit, options: bearer(soest)) }?.code
        == .permissionDenied)
    audit.organisationID = ""
    #expect(
      await statusOf { try await client.queryAudit(audit, options: bearer(soest)) }?.code
        == .invalidArgument)

    // Another town's API keys: invisible.
    account.organisationID = "arnsberg"
    let arnsbergAccount = try await client.createServiceAccount(account, options: bearer(root))
    var keyRequest = Ordp_Identity_V1_CreateApiKeyRequest()
    keyRequest.serviceAccountID = arnsbergAccount.id
    keyRequest.scopes = ["catalogue:read"]
    let arnsbergKey = try await client.createApiKey(keyRequest, options: bearer(root))
    var listKeys = Ordp_Identity_V1_ListApiKeysRequest()
    listKeys.serviceAccountID = arnsbergAccount.id
    #expect(
      await statusOf { try await client.listApiKeys(listKeys, options: bearer(soest)) }?.code
        == .notFound)
    #expect(
      await statusOf { try await client.createApiKey(keyRequest, options: bearer(soest)) }?.code
        == .notFound)
    var revoke = Ordp_Identity_V1_RevokeApiKeyRequest()
    revoke.id = arnsbergKey.key.id
    #expect(
      await statusOf { try await client.revokeApiKey(revoke, options: bearer(soest)) }?.code
        == .notFound)

    // Platform-level operations.
    var town = Ordp_Identity_V1_CreateOrganisationRequest()
    town.id = "hemer"
    town.displayName = "Stadt Hemer"
    #expect(
      await statusOf { try await client.createOrganisation(town, options: bearer(soest)) }?.code
        == .permissionDenied)
    #expect(
      await statusOf { try await client.rotateSigningKey(.init(), options: bearer(soest)) }?.code
        == .permissionDenied)

    // A viewer of the same town administers nothing.
    _ = try await client.createUser("soest.reader", in: "soest", role: .viewer, token: soest)
    let reader = try await client.login("soest.reader", "Correct-Horse-Battery-7").accessToken
    let byViewer = await statusOf {
      try await client.createUser("soest.other", in: "soest", token: reader)
    }
    #expect(byViewer?.code == .permissionDenied)
  }

  @Test func deactivatedTownKeepsItsHistoryAndStopsItsKeys() async throws {
    let identity = try await IdentityProcess.start()
    defer { identity.stop() }
    let channel = try identity.channel()
    defer { channel.close() }
    let client = Ordp_Identity_V1_Identity_Client(channel: channel)
    let root = try await client.login("admin", IdentityProcess.adminPassword).accessToken
    var account = Ordp_Identity_V1_CreateServiceAccountRequest()
    account.organisationID = "iserlohn"
    account.name = "sensors"
    let created = try await client.createServiceAccount(account, options: bearer(root))
    var keyRequest = Ordp_Identity_V1_CreateApiKeyRequest()
    keyRequest.serviceAccountID = created.id
    keyRequest.scopes = ["analytics:ingest"]
    let key = try await client.createApiKey(keyRequest, options: bearer(root))
    var exchange = Ordp_Identity_V1_ExchangeApiKeyRequest()
    exchange.apiKey = key.secret
    _ = try await client.exchangeApiKey(exchange)

    var deactivate = Ordp_Identity_V1_SetOrganisationActiveRequest()
    deactivate.id = "iserlohn"
    deactivate.active = false
    #expect(
      try await client.setOrganisationActive(deactivate, options: bearer(root)).active == false)
    #expect(await statusOf { try await client.exchangeApiKey(exchange) }?.code == .permissionDenied)
    let refused = await statusOf {
      try await client.createUser("iserlohn.new", in: "iserlohn", token: root)
    }
    #expect(refused?.code == .failedPrecondition)
    let visible = try await client.listOrganisations(.init()).organisations.map(\.id)
    #expect(!visible.contains("iserlohn"))
    var all = Ordp_Identity_V1_ListOrganisationsRequest()
    all.includeInactive = true
    #expect(
      try await client.listOrganisations(all).organisations.contains {
        $0.id == "iserlohn" && !$0.active
      })
    var audit = Ordp_Identity_V1_QueryAuditRequest()
    audit.organisationID = "iserlohn"
    let actions = try await client.queryAudit(audit, options: bearer(root)).events.map(\.action)
    #expect(actions.contains("organisation.deactivate"))
    #expect(actions.contains("apikey.exchange"))

    deactivate.active = true
    #expect(try await client.setOrganisationActive(deactivate, options: bearer(root)).active)
    _ = try await client.exchangeApiKey(exchange)
  }
}
