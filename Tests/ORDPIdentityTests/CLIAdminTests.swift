import Foundation
import ORDPTestSupport
import Testing

/// A platform admin's day with `ordp admin`: a town made and deactivated, a user made, given
/// roles, disabled, enabled and deleted, the signing key rotated — each checked by what it
/// changes (logins, listings), not only by what the command prints.
extension CLITests {
  @Test func townsUsersMembershipsAndTheSigningKeyFromTheCommandLine() async throws {
    let platform = try await DevPlatform.start()
    defer { _ = platform.stop() }
    // The admin's session in the default place: under $HOME.
    let home = platform.dir.appendingPathComponent("home")
    let admin = CLI(
      platform: platform, session: home.appendingPathComponent(".config/ordp/session.json"))
    let editor = CLI(platform: platform, session: platform.dir.appendingPathComponent("ed.json"))
    let passwordFile = platform.dir.appendingPathComponent("editor-password")
    try Data("Lenne-Ufer-2026!".utf8).write(to: passwordFile)
    let login = try await Self.ordp(
      [
        "login", "--username", "admin", "--password-file",
        platform.dir.appendingPathComponent("identity/initial-admin-password").path,
      ], platform: platform, session: admin.session, home: home)
    #expect(login.status == 0 && login.output.contains(admin.session.path), "\(login)")
    #expect(FileManager.default.fileExists(atPath: admin.session.path))

    // A town that joins.
    let badKey = try await admin([
      "admin", "towns", "create", "hagen", "--name", "Hagen", "--municipality-key", "5914",
    ])
    #expect(badKey.status == 67 && badKey.errors.contains("municipality_key"), "\(badKey)")
    let town = try await admin([
      "admin", "towns", "create", "hagen", "--name", "Hagen", "--municipality-key", "05914000",
    ])
    #expect(town.status == 0 && town.output.contains("created town hagen (Hagen)"), "\(town)")
    // The seeded towns have theirs too.
    let listed = try await admin(["admin", "towns", "list", "--output", "csv"])
    #expect(listed.output.contains("hagen,Hagen,joining,yes,"), "\(listed)")
    #expect(listed.records.contains { $0.first == "hagen" && $0.last == "05914000" })
    #expect(listed.records.contains { $0.first == "soest" && $0.last == "05974040" })
    let twice = try await admin(["admin", "towns", "create", "hagen", "--name", "Hagen"])
    #expect(twice.status == 70 && twice.errors.hasPrefix("error: ALREADY_EXISTS"), "\(twice)")

    // A user of it, with a password from a file (not printed) and an editor's role.
    let user = try await admin([
      "admin", "users", "create", "hagen.editor", "--name", "Ed Itor", "--member",
      "hagen:editor", "--password-file", passwordFile.path,
    ])
    #expect(user.status == 0 && !user.output.contains("shown this once"), "\(user)")
    let userID = try #require(
      user.output.split(separator: "(id ").last?.split(separator: ")").first.map(String.init))
    let badRole = try await admin(["admin", "users", "create", "x.y", "--member", "hagen:owner"])
    #expect(badRole.status != 0 && badRole.errors.contains("owner"), "\(badRole)")
    func member() async throws -> String? {
      let list = try await admin(["admin", "users", "list", "--town", "hagen", "--output", "csv"])
      #expect(list.status == 0, "\(list)")
      return list.records.first { $0.count > 1 && $0[1] == "hagen.editor" }?.joined(separator: ",")
    }
    #expect(try await member()?.contains(",hagen:editor,no") == true)
    let editorLogin = try await editor(
      ["login", "--username", "hagen.editor", "--password-file", passwordFile.path])
    #expect(editorLogin.status == 0, "\(editorLogin)")
    #expect(try await editor(["whoami"]).output.hasPrefix("user:\(userID) at "))

    // Roles: viewer instead of editor, then none.
    let viewer = try await admin(["admin", "memberships", "set", userID, "hagen", "viewer"])
    #expect(viewer.status == 0 && viewer.output.contains("hagen:viewer"), "\(viewer)")
    #expect(try await member()?.contains(",hagen:viewer,no") == true)
    let removed = try await admin(["admin", "memberships", "remove", userID, "hagen"])
    #expect(removed.status == 0 && !removed.output.contains("hagen:"), "\(removed)")
    #expect(try await member() == nil)
    let noRole = try await admin(["admin", "memberships", "set", userID, "hagen", "owner"])
    #expect(noRole.status != 0, "\(noRole)")

    // Disabled: logins are refused (UNAUTHENTICATED, 64 + 16) until enabled again.
    let disabled = try await admin(["admin", "users", "set-disabled", userID, "yes"])
    #expect(disabled.status == 0 && disabled.output.contains("hagen.editor is disabled"))
    let refused = try await editor(
      ["login", "--username", "hagen.editor", "--password-file", passwordFile.path])
    #expect(refused.status == 80 && refused.errors.hasPrefix("error: UNAUTHENTICATED"))
    let enabled = try await admin(["admin", "users", "set-disabled", userID, "no"])
    #expect(enabled.status == 0 && enabled.output.contains("hagen.editor is enabled"))
    let again = try await editor(
      ["login", "--username", "hagen.editor", "--password-file", passwordFile.path])
    #expect(again.status == 0, "\(again)")
    #expect(try await admin(["admin", "users", "set-disabled", userID, "maybe"]).status == 64)

    // Deleted: gone from logins; deleting again is NOT_FOUND (64 + 5).
    let deleted = try await admin(["admin", "users", "delete", userID])
    #expect(deleted.status == 0 && deleted.output.contains("deleted user \(userID)"))
    let gone = try await editor(
      ["login", "--username", "hagen.editor", "--password-file", passwordFile.path])
    #expect(gone.status == 80, "\(gone)")
    #expect(try await admin(["admin", "users", "delete", userID]).status == 69)

    // The town leaves: listed only with --all, its data kept.
    let left = try await admin(["admin", "towns", "set-active", "hagen", "no"])
    #expect(left.status == 0 && left.output.contains("hagen is deactivated"), "\(left)")
    let active = try await admin(["admin", "towns", "list", "--output", "csv"])
    #expect(!active.output.contains("hagen,"), "\(active)")
    let all = try await admin(["admin", "towns", "list", "--all", "--output", "csv"])
    #expect(all.output.contains("hagen,Hagen,"), "\(all)")

    // Key rotation: a town's admin may not; the platform admin may, and sessions go on.
    let soest = CLI(platform: platform, session: platform.dir.appendingPathComponent("so.json"))
    #expect(try await soest.login("soest.admin").status == 0)
    #expect(try await soest(["admin", "rotate-key"]).status == 71)
    let rotated = try await admin(["admin", "rotate-key"])
    #expect(rotated.status == 0 && rotated.output.hasPrefix("signing with "), "\(rotated)")
    // "signing with <new>; <old> retired"
    let keys = rotated.output.split(separator: " ").map { $0.trimmingCharacters(in: [";"]) }
    #expect(keys.count == 5 && !keys[2].isEmpty && keys[2] != keys[3], "\(rotated)")
    // A token signed before the rotation still verifies; a new login gets the new key.
    #expect(try await soest(["admin", "users", "list", "--town", "soest"]).status == 0)
    #expect(try await soest.login("soest.admin").status == 0)
    let afterRotation = try await soest(["admin", "users", "list", "--town", "soest"])
    #expect(afterRotation.status == 0, "\(afterRotation)")
  }
}
