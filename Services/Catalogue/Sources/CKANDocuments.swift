public import Foundation

/// The CKAN packages in a file as portals and tools write them, one `ImportCkan` document
/// each: a `package_show` response or the package alone, a `package_search` response (or its
/// `result`), a JSON array of packages, or JSON lines (`ckanapi dump`). What holds no package
/// (a `group_list` or `license_list` response, an error response) is named, not guessed at.
public enum CKANDocuments {
  /// The largest document `ImportCkan` takes.
  public static let maximumBytes = 4 << 20

  /// One package found, or why a part of the input is not one.
  public struct Document: Sendable, Equatable {
    /// Where it was: "<label>", "<label>[3]" (the fourth of an array or search result) or
    /// "<label>:7" (line 7 of JSON lines).
    public var label: String
    /// The package as JSON; nil when `problem` says why there is none.
    public var json: String?
    public var problem: String?
  }

  /// The packages of `data` (a file's bytes), labelled after `label`.
  public static func split(_ data: Data, label: String) -> [Document] {
    if let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) {
      var found = documents(value, label: label)
      // One package_show response or package: its own bytes go, as the portal wrote them.
      if let object = value as? [String: Any],
        looksLikePackage(object) || (object["result"].map(looksLikePackage) ?? false),
        found.count == 1, found[0].json != nil, data.count <= maximumBytes,
        let text = String(data: data, encoding: .utf8)
      {
        found[0].json = text
      }
      return found
    }
    // JSON lines: one package (or response) per non-empty line.
    let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    let filled = lines.enumerated().filter {
      !$0.element.allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 }
    }
    guard filled.count > 1 else {
      return [Document(label: label, json: nil, problem: "not JSON")]
    }
    return filled.flatMap { number, line -> [Document] in
      let lineLabel = "\(label):\(number + 1)"
      guard let value = try? JSONSerialization.jsonObject(with: Data(line)) else {
        return [Document(label: lineLabel, json: nil, problem: "not JSON")]
      }
      return documents(value, label: lineLabel)
    }
  }

  static func documents(_ value: Any, label: String) -> [Document] {
    if let array = value as? [Any] {
      if array.isEmpty { return [] }
      return array.enumerated().map { index, element in
        package(element, label: "\(label)[\(index)]")
      }
    }
    guard let object = value as? [String: Any] else {
      return [Document(label: label, json: nil, problem: "neither a CKAN package nor a response")]
    }
    if object["success"] as? Bool == false {
      let error = (object["error"] as? [String: Any])?["message"] as? String
      return [
        Document(
          label: label, json: nil,
          problem: "a CKAN error response\(error.map { ": \($0.prefix(200))" } ?? "")")
      ]
    }
    if let result = object["result"] {
      // package_show (result: the package), package_search (result: count and results),
      // group_list or license_list (result: an array of names or entries).
      if let search = result as? [String: Any], let results = search["results"] as? [Any] {
        return documents(results, label: label)
      }
      if let list = result as? [Any] {
        guard list.contains(where: looksLikePackage) else {
          return [
            Document(
              label: label, json: nil,
              problem: "a CKAN list response without packages (group_list, license_list, …)")
          ]
        }
        return documents(list, label: label)
      }
      return [package(result, label: label)]
    }
    if let results = object["results"] as? [Any], object["count"] != nil {
      return documents(results, label: label)
    }
    return [package(object, label: label)]
  }

  /// Keys only a package has (a licence or group entry has none of them).
  static let packageKeys = [
    "resources", "extras", "notes", "owner_org", "organization", "tags", "license_id",
    "metadata_modified",
  ]

  static func looksLikePackage(_ value: Any) -> Bool {
    guard let object = value as? [String: Any] else { return false }
    return packageKeys.contains { object[$0] != nil }
  }

  static func package(_ value: Any, label: String) -> Document {
    guard let object = value as? [String: Any], looksLikePackage(object) else {
      return Document(label: label, json: nil, problem: "not a CKAN package")
    }
    guard
      let data = try? JSONSerialization.data(
        withJSONObject: object, options: [.withoutEscapingSlashes]),
      let json = String(data: data, encoding: .utf8)
    else {
      return Document(label: label, json: nil, problem: "not JSON")
    }
    guard data.count <= maximumBytes else {
      return Document(label: label, json: nil, problem: "document larger than 4 MiB")
    }
    let name = (object["name"] as? String).map { " (\($0.prefix(100)))" } ?? ""
    return Document(label: label + name, json: json, problem: nil)
  }
}
