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
  /// the user belongs to (never another platform admin); a service account only for users
  /// whose roles hold no right its own key lacks (else it could reset an admin's password and
  /// act as that admin).
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
    for membership in user.memberships {
      try requireGrant(membership.role, in: membership.organisationID, principal)
    }
  }

  /// Whether `principal` may give `role` in `organisation` (it is checked to administer it): a
  /// service account may not hand out rights its own key does not hold — a key with
  /// identity:admin but without catalogue:write cannot make an editor, nor an admin unless it
  /// holds every scope.
  func requireGrant(_ role: MemberRole, in organisation: String, _ principal: Principal) throws {
    guard principal.kind == .service, !principal.isPlatformAdmin else { return }
    if let missing = role.scopes.subtracting(principal.scopes).map(\.rawValue).sorted().first {
      throw RPCError(
        .permissionDenied,
        "a service account cannot give the \(role.rawValue) role in \(organisation): it lacks \(missing)"
      )
    }
  }

  /// A user id from a request field.
  func userID(_ value: String, field: String) throws -> String {
    try Validation.required(value, field: field, maximumLength: 64)
  }

  /// Changes the user `id` as it is now, in one transaction (see `IdentityStore.modifyUser`):
  /// `change` sees the current record, checks what the caller may do to it and says what to
  /// write. A user the caller may not see is NOT_FOUND, as if it did not exist.
  func modifyVisibleUser(
    _ id: String, _ principal: Principal,
    _ change: @escaping @Sendable (inout UserRecord) throws -> UserUpdate
  ) async throws -> UserRecord {
    try await store.modifyUser(id: id, revocationExpiry: revocationExpiry) { [self] user in
      guard canSee(user, principal) else { throw RPCError(.notFound, "user \(id) not found") }
      return try change(&user)
    }
  }

  public func createUser(
    request: Ordp_Identity_V1_CreateUserRequest, context: ServerContext
  )
    async throws -> Ordp_Identity_V1_User
  {
    let principal = try context.requirePrincipal()
    if request.platformAdmin, !principal.isPlatformAdmin {
      throw RPCError(.permissionDenied, "only a platform admin can create platform admins")
    }
    guard request.memberships.count <= Self.maximumMemberships else {
      throw Validation.invalid(
        "memberships", "at most \(Self.maximumMemberships) memberships per user")
    }
    // Who may create members where is decided before anything else is looked at.
    var memberships: [MembershipRecord] = []
    var seen = Set<String>()
    for (index, membership) in request.memberships.enumerated() {
      let field = "memberships[\(index)]"
      try Validation.organisationID(membership.organisationID, field: "\(field).organisation_id")
      guard principal.isAdmin(of: membership.organisationID) else {
        throw RPCError(
          .permissionDenied, "creating members of \(membership.organisationID) needs its admin role"
        )
      }
      let role = try Validation.role(membership.role, field: "\(field).role")
      try requireGrant(role, in: membership.organisationID, principal)
      guard seen.insert(membership.organisationID).inserted else {
        throw Validation.invalid(field, "organisation \(membership.organisationID) appears twice")
      }
      memberships.append(MembershipRecord(organisationID: membership.organisationID, role: role))
    }
    let username = try Validation.username(request.username)
    let displayName = request.displayName.trimmingCharacters(in: .whitespaces)
    if displayName.count > 256 {
      throw Validation.invalid("display_name", "must be at most 256 characters")
    }
    let email = try Validation.email(request.email)
    for (index, membership) in memberships.enumerated() {
      _ = try await activeOrganisation(
        membership.organisationID, field: "memberships[\(index)].organisation_id")
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
    let organisation = request.organisationID
    try Validation.organisationID(organisation, field: "organisation_id")
    let principal = try requireAdmin(of: organisation, context)
    let role = try Validation.role(request.role, field: "role")
    try requireGrant(role, in: organisation, principal)
    let id = try userID(request.userID, field: "user_id")
    _ = try await activeOrganisation(organisation, field: "organisation_id")
    let user = try await modifyVisibleUser(id, principal) { [self] user in
      let previous = user.memberships.first { $0.organisationID == organisation }?.role
      if let previous { try requireGrant(previous, in: organisation, principal) }
      user.memberships.removeAll { $0.organisationID == organisation }
      user.memberships.append(MembershipRecord(organisationID: organisation, role: role))
      user.memberships.sort { $0.organisationID < $1.organisationID }
      // A lowered role ends the tokens that still carry the higher one.
      let lowered = previous.map { role < $0 } ?? false
      return UserUpdate(
        revocation: lowered ? .earlierTokens : .none,
        audit: audit(
          context, principal, "membership.set", target: user.subject,
          organisations: [organisation],
          detail: previous.map { "\($0.rawValue) -> \(role.rawValue)" } ?? role.rawValue))
    }
    return user.wire
  }

  public func removeMembership(
    request: Ordp_Identity_V1_RemoveMembershipRequest, context: ServerContext
  ) async throws -> Ordp_Identity_V1_User {
    let organisation = request.organisationID
    try Validation.organisationID(organisation, field: "organisation_id")
    let principal = try requireAdmin(of: organisation, context)
    let id = try userID(request.userID, field: "user_id")
    let user = try await modifyVisibleUser(id, principal) { [self] user in
      guard let previous = user.memberships.first(where: { $0.organisationID == organisation })
      else {
        throw RPCError(.notFound, "user \(user.id) is not a member of \(organisation)")
      }
      try requireGrant(previous.role, in: organisation, principal)
      user.memberships.removeAll { $0.organisationID == organisation }
      // Tokens carry memberships: end the user's sessions so the removal holds at once.
      return UserUpdate(
        revocation: .sessions,
        audit: audit(
          context, principal, "membership.remove", target: user.subject,
          organisations: [organisation]))
    }
    return user.wire
  }

  public func setUserDisabled(
    request: Ordp_Identity_V1_SetUserDisabledRequest, context: ServerContext
  ) async throws -> Ordp_Identity_V1_User {
    let principal = try context.requirePrincipal()
    let id = try userID(request.userID, field: "user_id")
    let disabled = request.disabled
    let user = try await modifyVisibleUser(id, principal) { [self] user in
      try requireManage(user, principal)
      if user.subject == principal.subject, disabled {
        throw RPCError(.failedPrecondition, "you cannot disable your own account")
      }
      user.disabled = disabled
      return UserUpdate(
        revocation: disabled ? .sessions : .none,
        audit: audit(
          context, principal, disabled ? "user.disable" : "user.enable",
          target: user.subject, organisations: user.memberships.map(\.organisationID)))
    }
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
    if request.newPassword.utf8.count > 1024 {
      throw Validation.invalid("new_password", "must be at most 1024 bytes")
    }
    let user: UserRecord
    /// The hash the change is based on: it must still be the user's when the new one is written.
    var basis: String?
    if ownChange {
      guard principal.kind == .user, let me = try await store.user(id: principal.id) else {
        throw RPCError(.notFound, "the caller is not a user")
      }
      user = me
      if request.currentPassword.isEmpty {
        throw Validation.invalid("current_password", "is required to change your own password")
      }
      if request.currentPassword.utf8.count > 1024 {
        throw Validation.invalid("current_password", "must be at most 1024 bytes")
      }
      // Proving the current password is guessing it for someone holding a stolen token:
      // throttled exactly like logins, by username and address.
      let attempt = try await throttledAttempt(
        username: user.username, source: Self.source(context), action: "user.password.change")
      guard try await hasher.verify(request.currentPassword, against: user.passwordHash) else {
        await auditAttempt(
          audit(
            context, principal, "user.password.change", target: user.subject, outcome: "failed",
            organisations: user.memberships.map(\.organisationID),
            detail: "wrong current password"))
        throw RPCError(.permissionDenied, "current_password does not match")
      }
      try await attemptSucceeded(attempt)
      basis = user.passwordHash
    } else {
      user = try await visibleUser(request.userID, principal, field: "user_id")
      try requireManage(user, principal)
    }
    if let problem = policy.problem(with: request.newPassword, username: user.username) {
      throw Validation.invalid("new_password", problem)
    }
    let hash = try await hasher.hash(request.newPassword)
    let action = ownChange ? "user.password.change" : "user.password.reset"
    let expected = basis
    _ = try await modifyVisibleUser(user.id, principal) { [self] user in
      if let expected {
        guard user.passwordHash == expected else {
          throw RPCError(.aborted, "the password was changed meanwhile; try again")
        }
      } else {
        try requireManage(user, principal)
      }
      // Only the hash changes: whatever else changed since the user was read stays.
      user.passwordHash = hash
      return UserUpdate(
        revocation: .sessions,
        audit: audit(
          context, principal, action, target: user.subject,
          organisations: user.memberships.map(\.organisationID)))
    }
    return .init()
  }
}
