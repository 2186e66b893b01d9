import Foundation
import ORDPAuth
public import ORDPIdentityAPI
public import ORDPRPC

extension IdentityService {
  /// Whether `principal` may see `user`: itself, platform admins, and admins of a town the
  /// user is a member of. Others get NOT_FOUND, as if the user did not exist.
  func canSee(_ user: UserRecord, _ principal: Principal) -> Bool {
    principal.isPlatformAdmin || principal.subject == user.subject
      || user.memberships.contains { principal.isAdmin(of: $0.organisationID) }
  }

  /// A user the caller may see, or NOT_FOUND.
  func visibleUser(_ id: String, _ principal: Principal, field: String) async throws -> UserRecord {
    let id = try Validation.required(id, field: field)
    guard let user = try await store.user(id: id), canSee(user, principal) else {
      throw RPCError(.notFound, "user \(id) not found")
    }
    return user
  }

  /// Disabling, deleting and resetting a password: platform admins, or an admin of every town
  /// the user belongs to (never another platform admin).
  func requireManage(_ user: UserRecord, _ principal: Principal) throws {
    if principal.isPlatformAdmin { return }
    guard !user.platformAdmin, !user.memberships.isEmpty,
      user.memberships.allSatisfy({ principal.isAdmin(of: $0.organisationID) })
    else {
      throw RPCError(
        .permissionDenied,
        "user \(user.id) is also a member of other organisations; only a platform admin can do this"
      )
    }
  }

  public func createUser(
    request: Ordp_Identity_V1_CreateUserRequest, context: ServerContext
  )
    async throws -> Ordp_Identity_V1_User
  {
    let principal = try context.requirePrincipal()
    let username = try Validation.username(request.username)
    let displayName = request.displayName.trimmingCharacters(in: .whitespaces)
    if displayName.count > 256 {
      throw Validation.invalid("display_name", "must be at most 256 characters")
    }
    let email = try Validation.email(request.email)
    var memberships: [MembershipRecord] = []
    for (index, membership) in request.memberships.enumerated() {
      let field = "memberships[\(index)]"
      _ = try await activeOrganisation(membership.organisationID, field: "\(field).organisation_id")
      let role = try Validation.role(membership.role, field: "\(field).role")
      if memberships.contains(where: { $0.organisationID == membership.organisationID }) {
        throw Validation.invalid(field, "organisation \(membership.organisationID) appears twice")
      }
      guard principal.isAdmin(of: membership.organisationID) else {
        throw RPCError(
          .permissionDenied, "creating members of \(membership.organisationID) needs its admin role"
        )
      }
      memberships.append(MembershipRecord(organisationID: membership.organisationID, role: role))
    }
    if request.platformAdmin, !principal.isPlatformAdmin {
      throw RPCError(.permissionDenied, "only a platform admin can create platform admins")
    }
    if memberships.isEmpty, !principal.isPlatformAdmin {
      if principal.memberships.values.contains(.admin) {
        throw Validation.invalid(
          "memberships", "give at least one membership of your organisations")
      }
      throw RPCError(.permissionDenied, "creating users needs an admin role")
    }
    if let problem = policy.problem(with: request.password, username: username) {
      throw Validation.invalid("password", problem)
    }
    if try await store.user(username: username) != nil {
      throw RPCError(.alreadyExists, "username \(username) is taken")
    }
    let user = UserRecord(
      id: UUID().uuidString.lowercased(), username: username, displayName: displayName,
      email: email, passwordHash: try await hasher.hash(request.password),
      platformAdmin: request.platformAdmin, disabled: false, createdAt: now,
      memberships: memberships)
    try await store.insertUser(
      user,
      audit: audit(
        context, principal, "user.create", target: user.subject,
        organisations: memberships.map(\.organisationID),
        detail: "\(username) "
          + memberships.map { "\($0.organisationID)=\($0.role.rawValue)" }
          .joined(separator: ",")))
    return user.wire
  }

  public func getUser(
    request: Ordp_Identity_V1_GetUserRequest, context: ServerContext
  )
    async throws -> Ordp_Identity_V1_User
  {
    let principal = try context.requirePrincipal()
    if request.id.isEmpty {
      guard principal.kind == .user, let user = try await store.user(id: principal.id) else {
        throw RPCError(.notFound, "the caller is not a user")
      }
      return user.wire
    }
    return try await visibleUser(request.id, principal, field: "id").wire
  }

  public func listUsers(
    request: Ordp_Identity_V1_ListUsersRequest, context: ServerContext
  )
    async throws -> Ordp_Identity_V1_ListUsersResponse
  {
    try Validation.organisationID(request.organisationID, field: "organisation_id")
    _ = try requireAdmin(of: request.organisationID, context)
    let size = Validation.pageSize(request.pageSize, defaultSize: 100, maximum: 500)
    var after: String?
    if !request.pageToken.isEmpty {
      guard let data = Data(base64Encoded: request.pageToken),
        let decoded = String(data: data, encoding: .utf8), decoded.hasPrefix("u:")
      else { throw Validation.invalid("page_token", "malformed page token") }
      after = String(decoded.dropFirst(2))
    }
    let users = try await store.users(
      inOrganisation: request.organisationID, afterUsername: after, limit: size + 1)
    var response = Ordp_Identity_V1_ListUsersResponse()
    response.users = users.prefix(size).map(\.wire)
    if users.count > size, let last = users.prefix(size).last {
      response.nextPageToken = Data("u:\(last.username)".utf8).base64EncodedString()
    }
    return response
  }

  public func setMembership(
    request: Ordp_Identity_V1_SetMembershipRequest, context: ServerContext
  )
    async throws -> Ordp_Identity_V1_User
  {
    _ = try await activeOrganisation(request.organisationID, field: "organisation_id")
    let principal = try requireAdmin(of: request.organisationID, context)
    let role = try Validation.role(request.role, field: "role")
    var user = try await visibleUser(request.userID, principal, field: "user_id")
    user.memberships.removeAll { $0.organisationID == request.organisationID }
    user.memberships.append(MembershipRecord(organisationID: request.organisationID, role: role))
    user.memberships.sort { $0.organisationID < $1.organisationID }
    try await store.updateUser(
      user, revokeSessions: false, revocationExpiry: revocationExpiry,
      audit: audit(
        context, principal, "membership.set", target: user.subject,
        organisations: [request.organisationID], detail: role.rawValue))
    return user.wire
  }

  public func removeMembership(
    request: Ordp_Identity_V1_RemoveMembershipRequest, context: ServerContext
  ) async throws -> Ordp_Identity_V1_User {
    try Validation.organisationID(request.organisationID, field: "organisation_id")
    let principal = try requireAdmin(of: request.organisationID, context)
    var user = try await visibleUser(request.userID, principal, field: "user_id")
    guard user.memberships.contains(where: { $0.organisationID == request.organisationID }) else {
      throw RPCError(.notFound, "user \(user.id) is not a member of \(request.organisationID)")
    }
    user.memberships.removeAll { $0.organisationID == request.organisationID }
    // Tokens carry memberships: end the user's sessions so the removal holds at once.
    try await store.updateUser(
      user, revokeSessions: true, revocationExpiry: revocationExpiry,
      audit: audit(
        context, principal, "membership.remove", target: user.subject,
        organisations: [request.organisationID]))
    return user.wire
  }

  public func setUserDisabled(
    request: Ordp_Identity_V1_SetUserDisabledRequest, context: ServerContext
  ) async throws -> Ordp_Identity_V1_User {
    let principal = try context.requirePrincipal()
    var user = try await visibleUser(request.userID, principal, field: "user_id")
    try requireManage(user, principal)
    if user.subject == principal.subject, request.disabled {
      throw RPCError(.failedPrecondition, "you cannot disable your own account")
    }
    user.disabled = request.disabled
    try await store.updateUser(
      user, revokeSessions: request.disabled, revocationExpiry: revocationExpiry,
      audit: audit(
        context, principal, request.disabled ? "user.disable" : "user.enable",
        target: user.subject, organisations: user.memberships.map(\.organisationID)))
    return user.wire
  }

  public func deleteUser(
    request: Ordp_Identity_V1_DeleteUserRequest, context: ServerContext
  )
    async throws -> Ordp_Identity_V1_DeleteUserResponse
  {
    let principal = try context.requirePrincipal()
    let user = try await visibleUser(request.userID, principal, field: "user_id")
    try requireManage(user, principal)
    if user.subject == principal.subject {
      throw RPCError(.failedPrecondition, "you cannot delete your own account")
    }
    try await store.deleteUser(
      id: user.id, revocationExpiry: revocationExpiry,
      audit: audit(
        context, principal, "user.delete", target: user.subject,
        organisations: user.memberships.map(\.organisationID), detail: user.username))
    return .init()
  }

  public func changePassword(
    request: Ordp_Identity_V1_ChangePasswordRequest, context: ServerContext
  ) async throws -> Ordp_Identity_V1_ChangePasswordResponse {
    let principal = try context.requirePrincipal()
    let ownChange = request.userID.isEmpty || request.userID == principal.id
    var user: UserRecord
    if ownChange {
      guard principal.kind == .user, let me = try await store.user(id: principal.id) else {
        throw RPCError(.notFound, "the caller is not a user")
      }
      user = me
      if request.currentPassword.isEmpty {
        throw Validation.invalid("current_password", "is required to change your own password")
      }
      guard try await hasher.verify(request.currentPassword, against: user.passwordHash) else {
        await auditAttempt(
          audit(
            context, principal, "user.password.change", target: user.subject, outcome: "failed",
            organisations: user.memberships.map(\.organisationID),
            detail: "wrong current password"))
        throw RPCError(.permissionDenied, "current_password does not match")
      }
    } else {
      user = try await visibleUser(request.userID, principal, field: "user_id")
      try requireManage(user, principal)
    }
    if let problem = policy.problem(with: request.newPassword, username: user.username) {
      throw Validation.invalid("new_password", problem)
    }
    user.passwordHash = try await hasher.hash(request.newPassword)
    try await store.updateUser(
      user, revokeSessions: true, revocationExpiry: revocationExpiry,
      audit: audit(
        context, principal, ownChange ? "user.password.change" : "user.password.reset",
        target: user.subject, organisations: user.memberships.map(\.organisationID)))
    return .init()
  }
}
