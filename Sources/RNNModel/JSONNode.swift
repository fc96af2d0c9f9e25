import Foundation

/// A JSON value together with its path from the document root, so every
/// validation error can say exactly where it is (`pipeline[1].recurrent.cell`).
struct JSONNode {
    let value: Any
    let path: String

    static func parse(_ data: Data) throws -> JSONNode {
        do {
            let value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return JSONNode(value: value, path: "$")
        } catch {
            let reason = (error as NSError).userInfo["NSDebugDescription"] as? String ?? "\(error)"
            throw RNNError("malformed JSON: \(reason)")
        }
    }

    func error(_ message: String) -> RNNError { RNNError(at: path, message) }

    var typeName: String {
        switch value {
        case is String: return "a string"
        case let n as NSNumber: return JSONNode.isBoolean(n) ? "a boolean" : "a number"
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        case is NSNull: return "null"
        default: return "\(type(of: value))"
        }
    }

    /// JSONSerialization gives booleans as NSNumbers of ObjC type "c" (char);
    /// JSON numbers come back as integers or doubles, never chars.
    static func isBoolean(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

    var isNull: Bool { value is NSNull }

    func object() throws -> [String: Any] {
        guard let o = value as? [String: Any] else { throw error("expected an object, found \(typeName)") }
        return o
    }

    func array() throws -> [JSONNode] {
        guard let a = value as? [Any] else { throw error("expected an array, found \(typeName)") }
        return a.enumerated().map { JSONNode(value: $0.element, path: "\(path)[\($0.offset)]") }
    }

    func string() throws -> String {
        guard let s = value as? String else { throw error("expected a string, found \(typeName)") }
        return s
    }

    private var isBool: Bool {
        guard let n = value as? NSNumber else { return false }
        return JSONNode.isBoolean(n)
    }

    func number() throws -> Double {
        guard let n = value as? NSNumber, !isBool else { throw error("expected a number, found \(typeName)") }
        return n.doubleValue
    }

    func int() throws -> Int {
        let d = try number()
        guard d.rounded() == d, abs(d) < 1e15 else { throw error("expected an integer, found \(d)") }
        return Int(d)
    }

    func positiveInt() throws -> Int {
        let i = try int()
        guard i > 0 else { throw error("expected a positive integer, found \(i)") }
        return i
    }

    func bool() throws -> Bool {
        guard isBool, let n = value as? NSNumber else { throw error("expected true or false, found \(typeName)") }
        return n.boolValue
    }

    /// The member `key`, or nil when absent or null.
    func member(_ key: String) throws -> JSONNode? {
        let o = try object()
        guard let v = o[key], !(v is NSNull) else { return nil }
        return JSONNode(value: v, path: "\(path).\(key)")
    }

    func required(_ key: String) throws -> JSONNode {
        guard let m = try member(key) else { throw error("missing required field '\(key)'") }
        return m
    }

    /// Rejects members not in `allowed`, naming the unknown one and the choices.
    func checkKeys(_ allowed: [String]) throws {
        for key in try object().keys.sorted() where !allowed.contains(key) {
            throw RNNError(at: "\(path).\(Quote.text(key, limit: 60))", "unknown field (expected one of: \(allowed.joined(separator: ", ")))")
        }
    }

    /// A string member that must be one of an enum's raw values.
    func choice<E: RawRepresentable & CaseIterable>(_ key: String, default fallback: E) throws -> E where E.RawValue == String {
        guard let m = try member(key) else { return fallback }
        let text = try m.string()
        guard let e = E(rawValue: text) else {
            throw m.error("unknown value '\(Quote.text(text))' (expected one of: \(E.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return e
    }
}
