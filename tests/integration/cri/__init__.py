# SPDX-License-Identifier: Apache-2.0
"""containerd as a CNI client: an OCI image builder, a minimal CRI client, a runner."""
