/** Implementation of Baton. No compatibility promise: use the types in {@code dev.baton}. */
package dev.baton.internal;
