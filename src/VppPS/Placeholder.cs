namespace VppPS; internal static class Placeholder {}
