import Foundation
import ORDPCatalogue
import Testing

/// Finding the packages in what CKAN portals and tools write (synthetic documents written for
/// ORDP, and the shared real ones when present).
@Suite struct CKANDocumentsTests {
  static func package(_ name: String) -> String {
    """
    {"name": "\(name)", "title": "Titel \(name)", "notes": "Beschreibung",
     "organization": {"name": "soest"}, "resources": []}
    """
  }

  static func split(_ text: String) -> [CKANDocuments.Document] {
    CKANDocuments.split(Data(text.utf8), label: "f.json")
  }

  static func names(_ documents: [CKANDocuments.Document]) -> [String?] {
    documents.map { document in
      document.json.flatMap {
        (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
      }.map { ($0["result"] as? [String: Any] ?? $0)["name"] as? String ?? "?" }
    }
  }

  @Test func everyShapeGivesItsPackages() {
    // A package alone and a package_show response: the bytes as written.
    let alone = Self.package("a")
    #expect(Self.split(alone).map(\.json) == [alone])
    let show = "{\"help\": \"package_show\", \"success\": true, \"result\": \(Self.package("b"))}"
    #expect(Self.split(show).map(\.json) == [show])
    // package_search responses (whole or the result), arrays, JSON lines.
    let search = """
      {"success": true, "result": {"count": 3, "results": [\(Self.package("c")), \
      \(Self.package("d")), \(Self.package("e"))]}}
      """
    #expect(Self.names(Self.split(search)) == ["c", "d", "e"])
    #expect(Self.split(search).map(\.label) == ["f.json[0] (c)", "f.json[1] (d)", "f.json[2] (e)"])
    let result = "{\"count\": 1, \"results\": [\(Self.package("f"))], \"facets\": {}}"
    #expect(Self.names(Self.split(result)) == ["f"])
    #expect(Self.names(Self.split("[\(Self.package("g")), \(Self.package("h"))]")) == ["g", "h"])
    let lines =
      Self.package("i").replacingOccurrences(of: "\n", with: " ") + "\n\n"
      + Self.package("j").replacingOccurrences(of: "\n", with: " ") + "\n"
    let split = Self.split(lines)
    #expect(Self.names(split) == ["i", "j"])
    #expect(split.map(\.label) == ["f.json:1 (i)", "f.json:3 (j)"])
    #expect(Self.split("[]").isEmpty)
  }

  @Test func whatHoldsNoPackageIsNamed() {
    let cases: [(String, String)] = [
      ("{\"success\": true, \"result\": [\"bevoelkerung\", \"bildung\"]}", "list response"),
      (
        "{\"success\": true, \"result\": [{\"id\": \"cc-by/4.0\", \"title\": \"CC BY\", \"url\": \"x\", \"maintainer\": \"\"}]}",
        "list response"
      ),
      (
        "{\"success\": false, \"error\": {\"message\": \"Not found\", \"__type\": \"Not Found Error\"}}",
        "error response: Not found"
      ),
      ("not json at all", "not JSON"),
      ("42", "neither a CKAN package"),
      ("{\"title\": \"a licence\", \"url\": \"x\"}", "not a CKAN package"),
    ]
    for (text, problem) in cases {
      let found = Self.split(text)
      #expect(found.count == 1 && found[0].json == nil, "\(text)")
      #expect(found.first?.problem?.contains(problem) == true, "\(found)")
    }
    // In an array, each element on its own.
    let mixed = Self.split("[\(Self.package("k")), 7, {\"url\": \"x\"}]")
    #expect(mixed.map { $0.json != nil } == [true, false, false])
    // A line that is not JSON among lines that are.
    let lines = Self.split(
      Self.package("l").replacingOccurrences(of: "\n", with: " ") + "\n{broken\n")
    #expect(lines.map { $0.problem } == [nil, "not JSON"])
    // Too big to send.
    let huge = "{\"name\": \"m\", \"notes\": \"\(String(repeating: "x", count: 4 << 20))\"}"
    #expect(Self.split("[\(huge)]").first?.problem == "document larger than 4 MiB")
  }

  @Test(.enabled(if: sharedCKAN != nil, "../shared/data/ckan is not next to the repository"))
  func theSharedSamplesGiveSeventeenDistinctPackagesAndTwoLists() throws {
    let folder = try #require(sharedCKAN)
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
      .filter { $0.hasSuffix(".json") }.sorted()
    var packages: [String] = []
    var lists = 0
    for file in files {
      let data = try Data(contentsOf: folder.appendingPathComponent(file))
      for document in CKANDocuments.split(data, label: file) {
        if let json = document.json {
          packages.append(json)
        } else {
          #expect(document.problem?.contains("list response") == true, "\(document)")
          lists += 1
        }
      }
    }
    // SOURCES.md: 9 package files, 18 packages (10 in the package_search), and the group and
    // licence lists; the two GovData test datasets share an id, the two ckanext-dcat test
    // datasets a name.
    #expect(packages.count == 18 && lists == 2)
    let ids = packages.compactMap { json -> String? in
      let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any]
      let package = object?["result"] as? [String: Any] ?? object
      return package?["id"] as? String ?? package?["name"] as? String
        ?? package?["title"] as? String
    }
    #expect(ids.count == 18 && Set(ids).count == 16)
  }
}
