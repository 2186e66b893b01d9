import ArgumentParser
import Foundation
import ORDPIdentityAPI
import ORDPRPC

/// `ordp admin …`: towns, users, memberships, service accounts, API keys, audit and the
/// signing key — what a platform or town admin does, through the gateway with the session.
struct Admin: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Administer towns, users, service accounts, API keys, audit and signing keys.",
    subcommands: [
      AdminTowns.self, Onboard.self, AdminUsers.self, AdminMemberships.self,
      AdminServiceAccounts.self, AdminAPIKeys.self, AdminAudit.self, RotateKey.self,
    ])
}

/// Calls identity with the session's token (`calling`).
func withIdentity<T>(
  _ connection: ConnectionOptions,
  _ body: (Ordp_Identity_V1_Identity_Client, CallOptions) async throws -> T
) async throws -> T {
  try await calling(connection) { try await body(.init(channel: $0), $1) }
}

/// A microsecond time as ISO 8601 (empty for 0).
func isoTime(_ micros: Int64) -> String {
  guard micros != 0 else { return "" }
  return ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(micros) / 1e6))
}

/// A password read from `file`, or a new random one (printed once by the caller).
func password(from file: String?) throws -> (password: String, generated: Bool) {
  if let file {
    return (
      try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(
        in: .whitespacesAndNewlines), false
    )
  }
  let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
  var random = SystemRandomNumberGenerator()
  return (String((0..<20).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }), true)
}

extension Ordp_Identity_V1_Role {
  init(name: String) throws {
    switch name {
    case "viewer": self = .viewer
    case "editor": self = .editor
    case "admin": self = .admin
    default: throw ValidationError("a role is viewer, editor or admin, not \(name)")
    }
  }

  var name: String {
    switch self {
    case .viewer: "viewer"
    case .editor: "editor"
    case .admin: "admin"
    default: "?"
    }
  }
}

// MARK: - Towns

struct AdminTowns: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "towns", abstract: "List, create, deactivate and activate towns.",
    subcommands: [List.self, Create.self, SetActive.self])

  struct Row: TableRow {
    var id: String
    var name: String
    var kind: String
    var active: Bool
    var created: String
    var municipalityKey: String
    static let columns = ["id", "name", "kind", "active", "created", "municipality_key"]
    var values: [String] { [id, name, kind, active ? "yes" : "no", created, municipalityKey] }

    init(_ town: Ordp_Identity_V1_Organisation) {
      id = town.id
      name = town.displayName
      kind = town.kind == .pioneer ? "pioneer" : "joining"
      active = town.active
      created = isoTime(town.createdAtMicros)
      municipalityKey = town.municipalityKey
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the towns.")
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Also list deactivated towns.") var all = false
    @Option(help: "table, json or csv.") var output: OutputFormat = .table

    func run() async throws {
      let towns = try await withIdentity(connection) { identity, options in
        try await identity.listOrganisations(.with { $0.includeInactive = all }, options: options)
          .organisations
      }
      print(output.render(towns.map(Row.init)))
    }
  }

  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Create a town (platform admins); `ordp admin onboard` also makes its admin.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The town's id, e.g. iserlohn.") var id: String
    @Option(help: "Its name, e.g. Iserlohn.") var name: String
    @Flag(help: "A founding town of the region (default: one that joins).") var pioneer = false
    @Option(help: "Its Amtlicher Gemeindeschlüssel (8 digits), for the DCAT-AP.de export.")
    var municipalityKey = ""

    func run() async throws {
      let town = try await withIdentity(connection) { identity, options in
        try await identity.createOrganisation(
          .with {
            $0.id = id
            $0.displayName = name
            $0.kind = pioneer ? .pioneer : .joining
            $0.municipalityKey = municipalityKey
          }, options: options)
      }
      print("created town \(town.id) (\(town.displayName))")
    }
  }

  struct SetActive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "set-active",
      abstract: "Deactivate a town that leaves (its data and history stay) or activate it again."
    )
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The town's id.") var id: String
    @Argument(help: "yes or no.") var active: String

    func run() async throws {
      guard active == "yes" || active == "no" else {
        throw ValidationError("give yes or no")
      }
      let town = try await withIdentity(connection) { identity, options in
        try await identity.setOrganisationActive(
          .with {
            $0.id = id
            $0.active = active == "yes"
          }, options: options)
      }
      print("\(town.id) is \(town.active ? "active" : "deactivated")")
    }
  }
}

/// `ordp admin onboard`: a joining town and its first admin in one command.
struct Onboard: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Onboard a joining town: create it and its first admin (platform admins).",
    discussion: """
      Creates the town, then its admin user with the admin role in it. The password is read \
      from --admin-password-file or generated and printed once. Run again after a failure: a \
      town that exists already is taken as it is.
      """)
  @OptionGroup var connection: ConnectionOptions
  @Argument(help: "The town's id, e.g. iserlohn.") var id: String
  @Option(help: "Its name, e.g. Iserlohn.") var name: String
  @Option(help: "Its Amtlicher Gemeindeschlüssel (8 digits), for the DCAT-AP.de export.")
  var municipalityKey = ""
  @Option(help: "The admin's username (default: <town>.admin).") var adminUsername: String?
  @Option(help: "The admin's display name.") var adminName = ""
  @Option(help: "The admin's e-mail address.") var adminEmail = ""
  @Option(help: "File with the admin's password (default: a generated one, printed).")
  var adminPasswordFile: String?

  func run() async throws {
    let (secret, generated) = try password(from: adminPasswordFile)
    let username = adminUsername ?? "\(id).admin"
    let user = try await withIdentity(connection) { identity, options in
      do {
        _ = try await identity.createOrganisation(
          .with {
            $0.id = id
            $0.displayName = name
            $0.kind = .joining
            $0.municipalityKey = municipalityKey
          }, options: options)
      } catch let error as RPCError where error.code == .alreadyExists {
        // Onboarded halfway before: go on with its admin.
      }
      return try await identity.createUser(
        .with {
          $0.username = username
          $0.displayName = adminName
          $0.email = adminEmail
          $0.password = secret
          $0.memberships = [
            .with {
              $0.organisationID = id; $0.role = .admin
            }
          ]
        }, options: options)
    }
    print("onboarded \(id) (\(name)) with its admin \(user.username) (user id \(user.id))")
    if generated { print("the admin's password (shown this once): \(secret)") }
  }
}

// MARK: - Users and memberships

struct AdminUsers: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "users", abstract: "List, create, disable, enable and delete users.",
    subcommands: [List.self, Create.self, Disable.self, Delete.self])

  struct Row: TableRow {
    var id: String
    var username: String
    var name: String
    var memberships: String
    var disabled: Bool
    static let columns = ["id", "username", "name", "memberships", "disabled"]
    var values: [String] { [id, username, name, memberships, disabled ? "yes" : "no"] }

    init(_ user: Ordp_Identity_V1_User) {
      id = user.id
      username = user.username
      name = user.displayName
      let roles = user.memberships.map { "\($0.organisationID):\($0.role.name)" }
      memberships = ((user.platformAdmin ? ["platform admin"] : []) + roles).joined(separator: " ")
      disabled = user.disabled
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List a town's members.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "The town.") var town: String
    @Option(help: "table, json or csv.") var output: OutputFormat = .table

    func run() async throws {
      let users = try await withIdentity(connection) { identity, options in
        var all: [Ordp_Identity_V1_User] = []
        var request = Ordp_Identity_V1_ListUsersRequest.with {
          $0.organisationID = town
          $0.pageSize = 500
        }
        repeat {
          let page = try await identity.listUsers(request, options: options)
          all += page.users
          request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty
        return all
      }
      print(output.render(users.map(Row.init)))
    }
  }

  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a user.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The username, e.g. olpe.editor2.") var username: String
    @Option(help: "Display name.") var name = ""
    @Option(help: "E-mail address.") var email = ""
    @Option(help: "Membership town:role, role viewer, editor or admin (repeatable).")
    var member: [String] = []
    @Option(help: "File with the password (default: a generated one, printed).")
    var passwordFile: String?

    func run() async throws {
      let memberships = try member.map { entry -> Ordp_Identity_V1_Membership in
        let parts = entry.split(separator: ":").map(String.init)
        guard parts.count == 2 else { throw ValidationError("--member takes town:role") }
        let role = try Ordp_Identity_V1_Role(name: parts[1])
        return .with {
          $0.organisationID = parts[0]
          $0.role = role
        }
      }
      let (secret, generated) = try password(from: passwordFile)
      let user = try await withIdentity(connection) { identity, options in
        try await identity.createUser(
          .with {
            $0.username = username
            $0.displayName = name
            $0.email = email
            $0.password = secret
            $0.memberships = memberships
          }, options: options)
      }
      print("created user \(user.username) (id \(user.id))")
      if generated { print("password (shown this once): \(secret)") }
    }
  }

  struct Disable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "set-disabled",
      abstract: "Disable a user (sessions end, logins refused) or enable them again.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The user's id.") var id: String
    @Argument(help: "yes or no.") var disabled: String

    func run() async throws {
      guard disabled == "yes" || disabled == "no" else { throw ValidationError("give yes or no") }
      let user = try await withIdentity(connection) { identity, options in
        try await identity.setUserDisabled(
          .with {
            $0.userID = id
            $0.disabled = disabled == "yes"
          }, options: options)
      }
      print("\(user.username) is \(user.disabled ? "disabled" : "enabled")")
    }
  }

  struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete a user.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The user's id.") var id: String

    func run() async throws {
      _ = try await withIdentity(connection) { identity, options in
        try await identity.deleteUser(.with { $0.userID = id }, options: options)
      }
      print("deleted user \(id)")
    }
  }
}

struct AdminMemberships: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "memberships", abstract: "Give a user a role in a town, or take it away.",
    subcommands: [Set.self, Remove.self])

  struct Set: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Set a user's role in a town.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The user's id.") var user: String
    @Argument(help: "The town.") var town: String
    @Argument(help: "viewer, editor or admin.") var role: String

    func run() async throws {
      let role = try Ordp_Identity_V1_Role(name: role)
      let updated = try await withIdentity(connection) { identity, options in
        try await identity.setMembership(
          .with {
            $0.userID = user
            $0.organisationID = town
            $0.role = role
          }, options: options)
      }
      print(OutputFormat.table.render([AdminUsers.Row(updated)]))
    }
  }

  struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove a user from a town.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The user's id.") var user: String
    @Argument(help: "The town.") var town: String

    func run() async throws {
      let updated = try await withIdentity(connection) { identity, options in
        try await identity.removeMembership(
          .with {
            $0.userID = user
            $0.organisationID = town
          }, options: options)
      }
      print(OutputFormat.table.render([AdminUsers.Row(updated)]))
    }
  }
}

// MARK: - Service accounts and API keys

struct AdminServiceAccounts: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "service-accounts", abstract: "List and create a town's service accounts.",
    subcommands: [List.self, Create.self])

  struct Row: TableRow {
    var id: String
    var town: String
    var name: String
    var description: String
    static let columns = ["id", "town", "name", "description"]
    var values: [String] { [id, town, name, description] }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List a town's service accounts.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "The town.") var town: String
    @Option(help: "table, json or csv.") var output: OutputFormat = .table

    func run() async throws {
      let accounts = try await withIdentity(connection) { identity, options in
        try await identity.listServiceAccounts(
          .with { $0.organisationID = town }, options: options
        ).serviceAccounts
      }
      print(
        output.render(
          accounts.map {
            Row(id: $0.id, town: $0.organisationID, name: $0.name, description: $0.description_p)
          }))
    }
  }

  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Create a service account (a sensor gateway, an enterprise system).",
      discussion: """
        With --key-scope, also its first API key, written to --key-file (readable by you \
        only) or printed once.
        """)
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "The town.") var town: String
    @Option(help: "Its name, unique in the town.") var name: String
    @Option(help: "What it is for.") var description = ""
    @Option(help: "A scope of its first API key (repeatable), e.g. analytics:ingest.")
    var keyScope: [String] = []
    @Option(help: "File to write the API key to (default: print it).") var keyFile: String?

    func run() async throws {
      let (account, key) = try await withIdentity(connection) { identity, options in
        let account = try await identity.createServiceAccount(
          .with {
            $0.organisationID = town
            $0.name = name
            $0.description_p = description
          }, options: options)
        guard !keyScope.isEmpty else {
          return (account, nil as Ordp_Identity_V1_CreateApiKeyResponse?)
        }
        let key = try await identity.createApiKey(
          .with {
            $0.serviceAccountID = account.id
            $0.scopes = keyScope
          }, options: options)
        return (account, key)
      }
      print("created service account \(account.name) (id \(account.id))")
      guard let key else { return }
      if let keyFile {
        guard
          FileManager.default.createFile(
            atPath: keyFile, contents: Data((key.secret + "\n").utf8),
            attributes: [.posixPermissions: 0o600])
        else { throw CLIError("cannot write \(keyFile)") }
        print(
          "its API key \(key.key.id) (\(key.key.scopes.joined(separator: " "))) is in \(keyFile)")
      } else {
        print("its API key (shown this once): \(key.secret)")
      }
    }
  }
}

struct AdminAPIKeys: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "api-keys", abstract: "List, create and revoke a service account's API keys.",
    subcommands: [List.self, Create.self, Revoke.self])

  struct Row: TableRow {
    var id: String
    var scopes: String
    var created: String
    var expires: String
    var revoked: String
    var lastUsed: String
    static let columns = ["id", "scopes", "created", "expires", "revoked", "last used"]
    var values: [String] { [id, scopes, created, expires, revoked, lastUsed] }

    init(_ key: Ordp_Identity_V1_ApiKey) {
      id = key.id
      scopes = key.scopes.joined(separator: " ")
      created = isoTime(key.createdAtMicros)
      expires = key.expiresAtMicros == 0 ? "never" : isoTime(key.expiresAtMicros)
      revoked = isoTime(key.revokedAtMicros)
      lastUsed = isoTime(key.lastUsedAtMicros)
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List a service account's keys.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "The service account's id.") var serviceAccount: String
    @Option(help: "table, json or csv.") var output: OutputFormat = .table

    func run() async throws {
      let keys = try await withIdentity(connection) { identity, options in
        try await identity.listApiKeys(
          .with { $0.serviceAccountID = serviceAccount }, options: options
        ).keys
      }
      print(output.render(keys.map(Row.init)))
    }
  }

  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Create an API key; the key is printed this once.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "The service account's id.") var serviceAccount: String
    @Option(
      help:
        "Scope (repeatable): catalogue:read, catalogue:write, analytics:ingest, analytics:query, identity:admin."
    )
    var scope: [String]
    @Option(help: "Days until it expires (default: never).") var expiresInDays: Int?

    func validate() throws {
      if let expiresInDays, !(1...3650).contains(expiresInDays) {
        throw ValidationError("--expires-in-days must be in 1...3650")
      }
    }

    func run() async throws {
      let expires = expiresInDays.map {
        Int64(Date().timeIntervalSince1970 * 1_000_000) + Int64($0) * 86_400_000_000
      }
      let created = try await withIdentity(connection) { identity, options in
        try await identity.createApiKey(
          .with {
            $0.serviceAccountID = serviceAccount
            $0.scopes = scope
            $0.expiresAtMicros = expires ?? 0
          }, options: options)
      }
      print("created API key \(created.key.id) (\(created.key.scopes.joined(separator: " ")))")
      print("the key (shown this once): \(created.secret)")
    }
  }

  struct Revoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Revoke an API key.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The key's id.") var id: String

    func run() async throws {
      let key = try await withIdentity(connection) { identity, options in
        try await identity.revokeApiKey(.with { $0.id = id }, options: options)
      }
      print("revoked \(key.id) at \(isoTime(key.revokedAtMicros))")
    }
  }
}

// MARK: - Audit and keys

struct AdminAudit: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "audit", abstract: "The audit log, newest first.")
  @OptionGroup var connection: ConnectionOptions
  @Option(help: "Events concerning this town (required unless you are a platform admin).")
  var town = ""
  @Option(help: "Only this actor, e.g. user:<id>.") var actor = ""
  @Option(help: "Hours back (default: everything).") var hours: Int?
  @Option(help: "Events at most (1–100000).") var limit = 100
  @Option(help: "table, json or csv.") var output: OutputFormat = .table

  struct Row: TableRow {
    var at: String
    var actor: String
    var action: String
    var target: String
    var outcome: String
    var source: String
    var detail: String
    static let columns = ["at", "actor", "action", "target", "outcome", "source", "detail"]
    var values: [String] { [at, actor, action, target, outcome, source, detail] }
  }

  func validate() throws {
    guard (1...100_000).contains(limit) else { throw ValidationError("--limit: 1...100000") }
    if let hours, !(1...(24 * 3660)).contains(hours) {
      throw ValidationError("--hours: 1...87840")
    }
  }

  func run() async throws {
    let from = hours.map {
      Int64(Date().timeIntervalSince1970 * 1_000_000) - Int64($0) * 3_600_000_000
    }
    let events = try await withIdentity(connection) { identity, options in
      var all: [Ordp_Identity_V1_AuditEvent] = []
      var request = Ordp_Identity_V1_QueryAuditRequest.with {
        $0.organisationID = town
        $0.actor = actor
        $0.fromMicros = from ?? 0
        $0.pageSize = UInt32(min(limit, 1000))
      }
      repeat {
        let page = try await identity.queryAudit(request, options: options)
        all += page.events
        request.pageToken = page.nextPageToken
      } while !request.pageToken.isEmpty && all.count < limit
      return all.prefix(limit)
    }
    print(
      output.render(
        events.map {
          Row(
            at: isoTime($0.atMicros), actor: $0.actor, action: $0.action, target: $0.target,
            outcome: $0.outcome, source: $0.source, detail: $0.detail)
        }))
  }
}

struct RotateKey: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rotate-key",
    abstract:
      "Sign new tokens with a new key (platform admins); the old one verifies until its tokens expire."
  )
  @OptionGroup var connection: ConnectionOptions

  func run() async throws {
    let rotated = try await withIdentity(connection) { identity, options in
      try await identity.rotateSigningKey(.init(), options: options)
    }
    print("signing with \(rotated.activeKeyID); \(rotated.retiredKeyID) retired")
  }
}
